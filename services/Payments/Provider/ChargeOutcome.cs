namespace Checkout.Payments.Provider;

/// <summary>The outcome of a charge as the saga sees it, with the number of provider calls it took.</summary>
public sealed record ChargeOutcome(bool Captured, string Reference, string FailureReason, int Attempts);
