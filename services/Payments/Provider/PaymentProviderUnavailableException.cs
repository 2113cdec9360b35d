namespace Checkout.Payments.Provider;

/// <summary>The provider could not answer now (network, overload): worth retrying with the same idempotency key.</summary>
public sealed class PaymentProviderUnavailableException(string message) : Exception(message);
