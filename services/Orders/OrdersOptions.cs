using System.ComponentModel.DataAnnotations;

namespace Checkout.Orders;

/// <summary>Settings of the Orders service, bound from the "Orders" configuration section.</summary>
public sealed class OrdersOptions
{
    public const string SectionName = "Orders";

    /// <summary>An order still Pending this long after it was placed is cancelled with reason "timeout".</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan SagaTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long PlaceOrder waits for Catalog's prices (retries included).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan CatalogDeadline { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most orders the timeout sweep cancels in one transaction.</summary>
    [Range(1, 10_000)]
    public int SweepBatchSize { get; set; } = 100;
}
