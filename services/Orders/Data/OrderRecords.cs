using Checkout.Orders.Domain;

namespace Checkout.Orders.Data;

/// <summary>A line priced by Catalog, as stored.</summary>
public sealed record OrderLineRecord(string Sku, string Name, int Quantity, long UnitPriceMinor)
{
    public long LineTotalMinor => checked(UnitPriceMinor * Quantity);
}

public sealed record TimelineRecord(string Step, string Detail, DateTime At);

/// <summary>An order with its lines and timeline, as GetOrder and ListOrders return it.</summary>
public sealed record OrderRecord(
    Guid OrderId,
    string CustomerId,
    OrderStatus Status,
    long TotalMinor,
    string Currency,
    string? CancellationReason,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    IReadOnlyList<OrderLineRecord> Lines,
    IReadOnlyList<TimelineRecord> Timeline);

/// <summary>A new order, priced, ready to be stored.</summary>
public sealed record NewOrder(Guid OrderId, string CustomerId, IReadOnlyList<OrderLineRecord> Lines, long TotalMinor, string Currency, string PaymentToken);

/// <summary>The order an idempotency key already names, and whether the request that named it was the same.</summary>
public sealed record ExistingOrder(Guid OrderId, OrderStatus Status, bool SameRequest);
