namespace Checkout.Payments.Domain;

/// <summary>Where an order's payment is; stored as its number (same numbers as the contract's PaymentStatus).</summary>
public enum PaymentStatus : short
{
    Pending = 1,
    Captured = 2,
    Failed = 3,
    Refunded = 4,
    Voided = 5,
}
