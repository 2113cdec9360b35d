namespace Checkout.Gateway.Api;

/// <summary>
/// GET /api/orders/{id}: the order with its saga timeline, its payment (null while Payments has not heard of the
/// order) and the notifications sent about it. A part whose service could not answer is null and named in missing
/// ("payment", "notifications"): the view degrades instead of failing.
/// </summary>
public sealed record OrderView(OrderResponse Order, PaymentResponse? Payment, IReadOnlyList<NotificationResponse>? Notifications, IReadOnlyList<string> Missing);
