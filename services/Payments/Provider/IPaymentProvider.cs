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
