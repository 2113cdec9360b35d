using ContractPaymentStatus = Checkout.Contracts.Payments.V1.PaymentStatus;

namespace Checkout.Gateway.Api;

/// <summary>status: "pending", "captured", "failed", "refunded" or "voided".</summary>
public sealed record PaymentResponse(string Status, long AmountMinor, string Currency, int Attempts, string? FailureReason, long RefundedMinor, DateTimeOffset UpdatedAt)
{
    public static PaymentResponse From(Checkout.Contracts.Payments.V1.Payment payment) => new(
        payment.Status switch
        {
            ContractPaymentStatus.Pending => "pending",
            ContractPaymentStatus.Captured => "captured",
            ContractPaymentStatus.Failed => "failed",
            ContractPaymentStatus.Refunded => "refunded",
            ContractPaymentStatus.Voided => "voided",
            _ => "unknown",
        },
        payment.AmountMinor, payment.Currency, payment.Attempts, OrderResponse.NullIfEmpty(payment.FailureReason), payment.RefundedMinor,
        OrderResponse.ToTime(payment.UpdatedAt));
}
