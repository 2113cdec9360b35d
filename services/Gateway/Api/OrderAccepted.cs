namespace Checkout.Gateway.Api;

/// <summary>The answer to POST /api/orders, identical for every retry with the same Idempotency-Key and body.</summary>
public sealed record OrderAccepted(string OrderId);
