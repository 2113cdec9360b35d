using Checkout.Contracts.Events.V1;
using Checkout.Orders.Data;
using Checkout.Orders.Domain;
using Checkout.ServiceDefaults.Messaging;
using Google.Protobuf.Reflection;
using Npgsql;

namespace Checkout.Orders.Events;

/// <summary>
/// Moves orders on with what Inventory and Payments report (topics "inventory" and "payments"). The order's row is
/// locked for the decision, so the timeout sweep and a customer's cancellation wait or skip it; the change and the
/// events it raises commit with the message's inbox row. A batch locks its orders up front, lets each order decide
/// each event in memory and stores all the changes at once.
/// </summary>
public sealed partial class InventoryAndPaymentsTopicsHandler(OrderStore store, ILogger<InventoryAndPaymentsTopicsHandler> logger) : IMessageHandler
{
    public static IReadOnlyList<MessageDescriptor> HandledTypes { get; } = [InventoryReserved.Descriptor, InventoryRejected.Descriptor, PaymentSucceeded.Descriptor, PaymentFailed.Descriptor];

    private Dictionary<Guid, Order>? _orders;
    private readonly List<OrderChange> _changes = [];

    private Dictionary<Guid, Order> Orders => _orders ?? throw new InvalidOperationException("PrepareAsync locks the batch's orders before any event is handled.");

    /// <summary>Locks every order the batch's events name, in order id order, in one round trip.</summary>
    public async Task PrepareAsync(IReadOnlyList<ConsumedMessage> messages, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var orderIds = new HashSet<Guid>();
        foreach (var message in messages)
        {
            // An invalid id is left to HandleAsync, which sends its message to the dead-letter topic.
            if (Read(message) is ({ } orderId, not null) && Guid.TryParse(orderId, out var id))
                orderIds.Add(id);
        }
        _orders = orderIds.Count == 0 ? [] : await store.LockBatchAsync(transaction, [.. orderIds], cancellationToken);
    }

    public async Task HandleAsync(ConsumedMessage message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var (orderId, @event) = Read(message);
        if (@event is null)
            return;
        if (!Orders.TryGetValue(ParseOrderId(orderId, message), out var order))
        {
            // Orders publishes OrderPlaced only after the order commits, so this is another system's order: nothing to move.
            LogUnknownOrder(logger, message.Type, orderId);
            return;
        }
        var change = order.Apply(@event);
        _changes.Add(change);
        // Written here, in the message's span, so that the checkout's trace goes on through the settled event; the
        // outbox holds it until the consumer's last round trip.
        await store.WriteEventsAsync(transaction, OutgoingEvent.From(change.Events), cancellationToken);
        Orders[order.OrderId] = change.Order;
        if (change.Order.Status != order.Status)
            LogMoved(logger, order.OrderId, order.Status, change.Order.Status, @event.Step, change.Order.CancellationReason);
    }

    /// <summary>Adds the writes of every change the batch made, still under the locks <see cref="PrepareAsync"/> took.</summary>
    public Task CompleteAsync(NpgsqlBatch writes, CancellationToken cancellationToken)
    {
        OrderStore.AddWrites(writes, _changes);
        return Task.CompletedTask;
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
