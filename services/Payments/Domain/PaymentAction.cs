namespace Checkout.Payments.Domain;

/// <summary>What to do with the provider next.</summary>
public enum PaymentAction
{
    None,
    Charge,
    Void,
    Refund,
}
