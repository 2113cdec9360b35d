namespace Checkout.Payments.Domain;

/// <summary>
/// The payment's rules, pure. OrderPlaced (on "orders") and InventoryReserved (on "inventory") are not ordered
/// relative to each other: each is recorded, and whichever completes the pair triggers the one charge. A
/// payment that is no longer Pending is never charged again.
/// </summary>
public static class PaymentRules
{
    /// <summary>After recording OrderPlaced or InventoryReserved: charge when both are known and nothing was decided yet.</summary>
    public static PaymentAction AfterSagaEvent(PaymentProgress progress) =>
        progress is { Status: PaymentStatus.Pending, OrderPlaced: true, StockReserved: true } ? PaymentAction.Charge : PaymentAction.None;

    /// <summary>The order was cancelled: nothing charged yet -> void (a later reservation charges nothing); captured -> refund.</summary>
    public static PaymentAction OnOrderCancelled(PaymentStatus status) => status switch
    {
        PaymentStatus.Pending => PaymentAction.Void,
        PaymentStatus.Captured => PaymentAction.Refund,
        _ => PaymentAction.None,
    };
}
