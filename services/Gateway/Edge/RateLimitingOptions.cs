using System.ComponentModel.DataAnnotations;

namespace Checkout.Gateway.Edge;

/// <summary>Configuration section "RateLimiting": a fixed window of requests per caller.</summary>
public sealed class RateLimitingOptions
{
    public const string SectionName = "RateLimiting";

    [Range(1, 1_000_000)]
    public int PermitLimit { get; set; } = 100;

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(10);
}
