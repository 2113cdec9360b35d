namespace Checkout.Gateway.Api;

public sealed record NotificationResponse(string Kind, string Subject, string Body, DateTimeOffset SentAt);
