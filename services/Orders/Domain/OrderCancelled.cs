namespace Checkout.Orders.Domain;

/// <summary>
/// An order was cancelled. It carries the lines so that Inventory compensates without a lookup, and whether the
/// order had been confirmed (its stock sold and its payment captured: a refund, not a void).
/// </summary>
public sealed record OrderCancelled(Guid OrderId, string CustomerId, string Reason, bool WasConfirmed, IReadOnlyList<OrderLine> Lines)
    : OrderEvent(OrderId);
