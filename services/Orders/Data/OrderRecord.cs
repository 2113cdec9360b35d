using Checkout.Orders.Domain;

namespace Checkout.Orders.Data;

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
    IReadOnlyList<OrderLine> Lines,
    IReadOnlyList<TimelineRecord> Timeline);
