namespace Checkout.Orders.Domain;

/// <summary>Where an order is in the saga; stored as its number (same numbers as the contract's OrderStatus).</summary>
public enum OrderStatus : short
{
    Pending = 1,
    Confirmed = 2,
    Cancelled = 3,
}
