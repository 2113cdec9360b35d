using System.ComponentModel.DataAnnotations;

namespace Checkout.Gateway;

/// <summary>Configuration section "Gateway": how long the gateway waits for the services.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>PlaceOrder's deadline: short, so that a client hears 503/504 quickly and retries with its key.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan PlaceOrderDeadline { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Deadline of the calls an answer cannot do without (reads of the order, catalogue, commands).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan CallDeadline { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Deadline of the optional parts of an aggregated view: past it, the part is reported missing.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan OptionalPartDeadline { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The largest request body accepted (bytes); a larger one gets 413. Orders are small.</summary>
    [Range(1024, 10 * 1024 * 1024)]
    public long MaxRequestBodySize { get; set; } = 64 * 1024;

    /// <summary>Retry-After sent with 503 (a service unavailable) and 429 from a service.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan UnavailableRetryAfter { get; set; } = TimeSpan.FromSeconds(5);
}
