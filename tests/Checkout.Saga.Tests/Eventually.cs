namespace Checkout.Saga.Tests;

/// <summary>Bounded waits: poll until a condition holds or a generous deadline passes (never sleep-and-hope).</summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(60);

    /// <summary>Polls <paramref name="probe"/> until <paramref name="done"/> holds for its result, which is returned.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, Func<T, string> describe, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? DefaultDeadline);
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Gave up after {(deadline ?? DefaultDeadline).TotalSeconds:0} s: {describe(value)}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken);
        }
    }
}
