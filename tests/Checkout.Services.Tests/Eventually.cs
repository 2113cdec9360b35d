namespace Checkout.Services.Tests;

/// <summary>Bounded waits: poll a condition until it holds or a generous deadline passes (never sleep-and-hope).</summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(60);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? DefaultDeadline);
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"Timed out waiting until {what}.");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
