namespace Checkout.Orders.Domain;

/// <summary>Payments could not charge the order: the provider's reason.</summary>
public sealed record PaymentRejected(string Reason) : SagaEvent
{
    public override string Step => "payment-failed";
    public override string Detail => Reason;
}
