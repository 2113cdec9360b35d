using Checkout.Contracts.Events.V1;
using Checkout.Notifications.Data;
using Checkout.Notifications.Domain;
using Checkout.ServiceDefaults.Messaging;
using Google.Protobuf.Reflection;
using Npgsql;

namespace Checkout.Notifications.Events;

/// <summary>
/// Tells customers how their orders ended, from topic "orders": OrderConfirmed and OrderCancelled each record one
/// notification per order (a repeated event finds it and sends nothing) and "send" it as a simulated e-mail: a log entry.
/// </summary>
public sealed partial class OrdersTopicHandler(NotificationRepository notifications, ILogger<OrdersTopicHandler> logger) : IMessageHandler
{
    public static IReadOnlyList<MessageDescriptor> HandledTypes { get; } = [OrderConfirmed.Descriptor, OrderCancelled.Descriptor];

    public Task HandleAsync(ConsumedMessage message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (message.Is<OrderConfirmed>())
        {
            var confirmed = message.Payload<OrderConfirmed>();
            var orderId = ParseOrderId(confirmed.OrderId, message);
            var (subject, body) = CustomerMessages.OrderConfirmed(orderId, confirmed.TotalMinor, confirmed.Currency);
            return NotifyAsync(transaction, orderId, confirmed.CustomerId, NotificationKind.OrderConfirmed, subject, body, cancellationToken);
        }
        if (message.Is<OrderCancelled>())
        {
            var cancelled = message.Payload<OrderCancelled>();
            var orderId = ParseOrderId(cancelled.OrderId, message);
            var (subject, body) = CustomerMessages.OrderCancelled(orderId, cancelled.Reason, cancelled.WasConfirmed);
            return NotifyAsync(transaction, orderId, cancelled.CustomerId, NotificationKind.OrderCancelled, subject, body, cancellationToken);
        }
        return Task.CompletedTask; // OrderPlaced and future event types need no message to the customer
    }

    private async Task NotifyAsync(NpgsqlTransaction transaction, Guid orderId, string customerId, string kind, string subject, string body,
        CancellationToken cancellationToken)
    {
        if (customerId.Length == 0)
            throw new PoisonMessageException($"The {kind} event of order {orderId} names no customer.");
        if (await notifications.TryAddAsync(transaction, orderId, customerId, kind, subject, body, cancellationToken))
            LogSent(logger, orderId, customerId, kind, subject);
        else
            LogAlreadySent(logger, orderId, kind);
    }

    private static Guid ParseOrderId(string orderId, ConsumedMessage message) =>
        Guid.TryParse(orderId, out var id)
            ? id
            : throw new PoisonMessageException($"{message.Type} {message.MessageId} has no valid order id: '{orderId}'.");

    [LoggerMessage(LogLevel.Information, "E-mail for order {OrderId} to customer {CustomerId} ({Kind}): {Subject}")]
    private static partial void LogSent(ILogger logger, Guid orderId, string customerId, string kind, string subject);

    [LoggerMessage(LogLevel.Information, "Order {OrderId} already has its {Kind} notification; nothing sent again")]
    private static partial void LogAlreadySent(ILogger logger, Guid orderId, string kind);
}
