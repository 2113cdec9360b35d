using Checkout.Payments.Domain;

namespace Checkout.Payments.Data;

/// <summary>An order's payment as stored.</summary>
public sealed record PaymentRecord(
    Guid OrderId,
    PaymentStatus Status,
    bool OrderPlaced,
    bool StockReserved,
    long AmountMinor,
    string Currency,
    string? PaymentToken,
    int Attempts,
    string? ProviderReference,
    string? FailureReason,
    long RefundedMinor,
    DateTime UpdatedAt)
{
    public PaymentProgress Progress => new(Status, OrderPlaced, StockReserved);
}
