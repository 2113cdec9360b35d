namespace Checkout.Orders.Domain;

/// <summary>An order was placed: Inventory reserves its lines and Payments charges its total with the token.</summary>
public sealed record OrderPlaced(Guid OrderId, string CustomerId, IReadOnlyList<OrderLine> Lines, long TotalMinor, string Currency, string PaymentToken)
    : OrderEvent(OrderId);
