using Checkout.Contracts.Events.V1;
using Checkout.Orders.Data;
using Checkout.Orders.Domain;
using Checkout.ServiceDefaults.Messaging;
using Npgsql;

namespace Checkout.Orders.Events;

/// <summary>
/// Moves orders on with what Inventory and Payments report ("inventory" and "payments" topics). The order's row is
/// locked for the step, so the timeout sweep and a customer's cancellation wait or skip it; the step and the event
/// it emits commit with the message's inbox row.
/// </summary>
public sealed partial class SagaEventsHandler(OrderStore store, ILogger<SagaEventsHandler> logger) : IMessageHandler
{
    public const string InventoryTopic = "inventory";
    public const string PaymentsTopic = "payments";

    public async Task HandleAsync(ConsumedMessage message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var (orderId, @event) = Read(message);
        if (@event is null)
            return;
        var order = await store.LockAsync(transaction, ParseOrderId(orderId, message), cancellationToken);
        if (order is null)
        {
            // Orders publishes OrderPlaced only after the order commits, so this is another system's order: nothing to move.
            LogUnknownOrder(logger, message.Type, orderId);
            return;
        }
        var step = OrderSaga.Apply(order.Status, @event);
        await store.SaveStepAsync(transaction, order, step, cancellationToken);
        if (step.Status != order.Status)
            LogMoved(logger, order.OrderId, order.Status, step.Status, @event.Step, step.CancellationReason);
    }

    private static (string OrderId, SagaEvent? Event) Read(ConsumedMessage message)
    {
        if (message.Is<InventoryReserved>())
        {
            var reserved = message.Payload<InventoryReserved>();
            return (reserved.OrderId, new StockReserved(reserved.Lines.Select(line => (line.Sku, line.Quantity)).ToList()));
        }
        if (message.Is<InventoryRejected>())
        {
            var rejected = message.Payload<InventoryRejected>();
            return (rejected.OrderId, new StockRejected(rejected.Shortages.Select(s => (s.Sku, s.Requested, s.Available)).ToList()));
        }
        if (message.Is<PaymentSucceeded>())
        {
            var succeeded = message.Payload<PaymentSucceeded>();
            return (succeeded.OrderId, new PaymentCaptured(succeeded.AmountMinor, succeeded.Currency, succeeded.ProviderReference));
        }
        if (message.Is<PaymentFailed>())
        {
            var failed = message.Payload<PaymentFailed>();
            return (failed.OrderId, new PaymentRejected(failed.Reason));
        }
        // PaymentRefunded and event types added later concern the order's compensation, not its status.
        return ("", null);
    }

    private static Guid ParseOrderId(string orderId, ConsumedMessage message) => Guid.TryParse(orderId, out var id)
        ? id
        : throw new PoisonMessageException($"Message {message.MessageId} ({message.Type}) names no valid order id: '{orderId}'.");

    [LoggerMessage(LogLevel.Warning, "{EventType} for unknown order {OrderId} ignored")]
    private static partial void LogUnknownOrder(ILogger logger, string eventType, string orderId);

    [LoggerMessage(LogLevel.Information, "Order {OrderId} moved from {From} to {To} on {Step} {Reason}")]
    private static partial void LogMoved(ILogger logger, Guid orderId, OrderStatus from, OrderStatus to, string step, string? reason);
}
