namespace Checkout.Notifications.Domain;

/// <summary>A message a customer was sent about an order; <paramref name="Sequence"/> orders notifications as sent.</summary>
public sealed record Notification(Guid NotificationId, long Sequence, string CustomerId, Guid OrderId, string Kind, string Subject, string Body, DateTime SentAt);
