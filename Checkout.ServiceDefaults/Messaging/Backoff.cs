namespace Checkout.ServiceDefaults.Messaging;

/// <summary>Exponential backoff with jitter: attempt n waits between half and all of min * 2^(n-1), capped at max.</summary>
internal static class Backoff
{
    public static TimeSpan Delay(int attempt, TimeSpan min, TimeSpan max)
    {
        var exponential = min.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        var capped = Math.Min(exponential, max.TotalMilliseconds);
        // Jitter spreads the retries of many instances and partitions so that they do not hit the broker or database together.
        return TimeSpan.FromMilliseconds(capped * (0.5 + Random.Shared.NextDouble() / 2));
    }
}
