namespace Checkout.Orders.Domain;

/// <summary>Payments captured the order's total.</summary>
public sealed record PaymentCaptured(long AmountMinor, string Currency, string ProviderReference) : SagaEvent
{
    public override string Step => "payment-succeeded";
    public override string Detail => $"{AmountMinor} {Currency} captured ({ProviderReference})";
}
