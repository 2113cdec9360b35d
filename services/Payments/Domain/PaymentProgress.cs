namespace Checkout.Payments.Domain;

/// <summary>What Payments has heard of an order: the payment's status and which of the two saga events have arrived.</summary>
public sealed record PaymentProgress(PaymentStatus Status, bool OrderPlaced, bool StockReserved);
