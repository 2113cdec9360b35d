namespace Checkout.Payments.Provider;

/// <summary>The provider's answer to a charge: captured with a reference, or declined with a reason.</summary>
public sealed record ChargeResult(bool Captured, string Reference, string DeclineReason)
{
    public static ChargeResult Capture(string reference) => new(true, reference, "");
    public static ChargeResult Decline(string reason) => new(false, "", reason);
}
