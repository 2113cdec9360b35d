namespace Checkout.Notifications.Domain;

/// <summary>The kinds of notification, one per order at most.</summary>
public static class NotificationKind
{
    public const string OrderConfirmed = "order-confirmed";
    public const string OrderCancelled = "order-cancelled";
}
