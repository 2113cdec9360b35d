namespace Checkout.Orders.Domain;

/// <summary>An order's stock is reserved and its payment captured: the checkout succeeded.</summary>
public sealed record OrderConfirmed(Guid OrderId, string CustomerId, long TotalMinor, string Currency) : OrderEvent(OrderId);
