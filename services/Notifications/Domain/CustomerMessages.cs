using System.Globalization;

namespace Checkout.Notifications.Domain;

/// <summary>The wording of the e-mails a customer receives (subject and plain-text body).</summary>
public static class CustomerMessages
{
    public static (string Subject, string Body) OrderConfirmed(Guid orderId, long totalMinor, string currency) => (
        $"Your order {ShortId(orderId)} is confirmed",
        $"""
        Thank you for your order.

        We have received your payment of {Money(totalMinor, currency)} and your order {orderId} is confirmed.
        We will let you know when it ships.
        """);

    /// <summary>
    /// <paramref name="wasConfirmed"/>: the order had been paid, so the payment is refunded; before confirmation
    /// the saga never keeps a charge.
    /// </summary>
    public static (string Subject, string Body) OrderCancelled(Guid orderId, string reason, bool wasConfirmed) => (
        $"Your order {ShortId(orderId)} has been cancelled",
        $"""
        Your order {orderId} has been cancelled ({(reason.Length > 0 ? reason : "no reason given")}).

        {(wasConfirmed
            ? "The full amount you paid is being refunded to your original payment method."
            : "You have not been charged for it.")}
        """);

    private static string ShortId(Guid orderId) => orderId.ToString("N")[..8].ToUpperInvariant();

    // Every currency of the catalogue (EUR) has two minor digits.
    private static string Money(long minor, string currency) =>
        string.Create(CultureInfo.InvariantCulture, $"{currency} {minor / 100m:0.00}");
}
