namespace Checkout.Payments.Provider;

/// <summary>
/// A payment provider. Both calls carry an idempotency key (the order id): the provider performs each operation
/// once per key and answers a repeated call with the first call's result, so callers may retry freely.
/// Transient failures throw <see cref="PaymentProviderUnavailableException"/>; a decline is an answer, not a failure.
/// </summary>
public interface IPaymentProvider
{
    Task<ChargeResult> ChargeAsync(string idempotencyKey, long amountMinor, string currency, string token, CancellationToken cancellationToken);

    /// <summary>Refunds <paramref name="amountMinor"/> of the charge made with <paramref name="idempotencyKey"/>; returns the refund's reference.</summary>
    Task<string> RefundAsync(string idempotencyKey, long amountMinor, string currency, CancellationToken cancellationToken);
}

/// <summary>The provider's answer to a charge: captured with a reference, or declined with a reason.</summary>
public sealed record ChargeResult(bool Captured, string Reference, string DeclineReason)
{
    public static ChargeResult Capture(string reference) => new(true, reference, "");
    public static ChargeResult Decline(string reason) => new(false, "", reason);
}

/// <summary>The provider could not answer now (network, overload): worth retrying with the same idempotency key.</summary>
public sealed class PaymentProviderUnavailableException(string message) : Exception(message);
