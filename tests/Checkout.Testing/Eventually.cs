namespace Checkout.Testing;

/// <summary>Bounded waits: poll a condition until it holds or a generous deadline passes (never sleep-and-hope).</summary>
public static class Eventually
{
    /// <summary>Generous on purpose: the tests share two loaded cores; a wait that holds returns as soon as it does.</summary>
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(90);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Polls <paramref name="probe"/> until <paramref name="done"/> holds for its result, which is returned.</summary>
    /// <param name="describe">Says what was awaited and what the last probe saw, for the timeout's message.</param>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, Func<T, string> describe, TimeSpan? deadline = null)
    {
        var wait = deadline ?? DefaultDeadline;
        var until = DateTime.UtcNow + wait;
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Gave up after {wait.TotalSeconds:0} s: {describe(value)}");
            }

            await Task.Delay(PollInterval, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; <paramref name="what"/> names it in the timeout's message.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? deadline = null) =>
        UntilAsync(condition, done => done, _ => $"timed out waiting until {what}.", deadline);

    /// <inheritdoc cref="UntilAsync(Func{Task{bool}}, string, TimeSpan?)"/>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? deadline = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, deadline);
}
