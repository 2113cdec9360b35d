using Checkout.Contracts;
using Checkout.Contracts.Events.V1;
using Checkout.Inventory.Data;
using Checkout.Inventory.Domain;
using Checkout.ServiceDefaults.Messaging;
using Google.Protobuf.Reflection;
using Npgsql;

namespace Checkout.Inventory.Events;

/// <summary>
/// Inventory's part of the saga, from topic "orders": OrderPlaced reserves every line or none and answers with
/// InventoryReserved or InventoryRejected (through the outbox, in the same transaction); OrderConfirmed sells the
/// reservation; OrderCancelled releases it, or returns sold units to available. The inbox skips redelivered
/// messages, and the per-order reservation row makes a second announcement of one order change nothing. A batch of
/// events is decided in memory against the rows it read and written back with the commit (see StockBatch).
/// </summary>
public sealed partial class OrdersTopicHandler(StockRepository stock, IOutbox outbox, ILogger<OrdersTopicHandler> logger) : IMessageHandler
{
    public static IReadOnlyList<MessageDescriptor> HandledTypes { get; } = [OrderPlaced.Descriptor, OrderConfirmed.Descriptor, OrderCancelled.Descriptor];

    private StockBatch? _batch;

    private StockBatch Batch => _batch ?? throw new InvalidOperationException("PrepareAsync loads the batch before any event is handled.");

    /// <summary>
    /// Reads, in one round trip, everything the batch's events may change: the stock of every SKU an OrderPlaced names
    /// or a known order holds, and the reservations (locked) of every order the batch mentions. The events are then
    /// decided in memory, one after another, and <see cref="CompleteAsync"/> has the result written with the commit.
    /// The stock is read unlocked on a first attempt and locked on a retry (after another transaction took units this
    /// one counted on, which the stock table's CHECK refused).
    /// </summary>
    public async Task PrepareAsync(IReadOnlyList<ConsumedMessage> messages, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var skus = new HashSet<string>(StringComparer.Ordinal);
        var orderIds = new HashSet<Guid>();
        foreach (var message in messages)
        {
            string orderId;
            if (message.Is<OrderPlaced>())
            {
                var placed = message.Payload<OrderPlaced>();
                skus.UnionWith(placed.Lines.Select(line => line.Sku));
                orderId = placed.OrderId;
            }
            else if (message.Is<OrderConfirmed>())
                orderId = message.Payload<OrderConfirmed>().OrderId;
            else if (message.Is<OrderCancelled>())
                orderId = message.Payload<OrderCancelled>().OrderId;
            else
                continue;
            // An invalid id is left to HandleAsync, which sends its message to the dead-letter topic.
            if (Guid.TryParse(orderId, out var id))
                orderIds.Add(id);
        }
        var retry = messages.Any(message => message.Attempt > 1);
        _batch = await stock.LoadBatchAsync(transaction, [.. skus], [.. orderIds], lockStock: retry, cancellationToken);
    }

    public Task HandleAsync(ConsumedMessage message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (message.Is<OrderPlaced>())
            return OnPlacedAsync(message, transaction, cancellationToken);
        if (message.Is<OrderConfirmed>())
        {
            var confirmed = message.Payload<OrderConfirmed>();
            OnSettled(ParseOrderId(confirmed.OrderId, message), StockMove.OnConfirmed, "OrderConfirmed", statusWhenUnknown: null);
        }
        else if (message.Is<OrderCancelled>())
        {
            var cancelled = message.Payload<OrderCancelled>();
            // Remembered as released when unknown: should its OrderPlaced still arrive, it finds the order handled.
            OnSettled(ParseOrderId(cancelled.OrderId, message), StockMove.OnCancelled, "OrderCancelled", statusWhenUnknown: ReservationStatus.Released);
        }
        return Task.CompletedTask; // other event types of the topic are none of Inventory's business
    }

    /// <summary>Adds the writes of the batch's stock and reservation changes.</summary>
    public Task CompleteAsync(NpgsqlBatch writes, CancellationToken cancellationToken)
    {
        StockRepository.AddBatchWrites(writes, Batch);
        return Task.CompletedTask;
    }

    private async Task OnPlacedAsync(ConsumedMessage message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var placed = message.Payload<OrderPlaced>();
        var orderId = ParseOrderId(placed.OrderId, message);
        var lines = ToOrderLines(placed);
        if (Batch.StatusOf(orderId) is not null)
        {
            LogAlreadyHandled(logger, orderId);
            return;
        }

        var shortages = Reservation.Shortages(lines, Batch.Available(lines.Select(line => line.Sku)));
        if (shortages.Count == 0)
        {
            Batch.Reserve(orderId, lines);
            var reserved = new InventoryReserved { OrderId = placed.OrderId, Lines = { placed.Lines } };
            await outbox.WriteAsync(transaction, Topics.Inventory, placed.OrderId, reserved, cancellationToken: cancellationToken);
            LogReserved(logger, orderId, lines.Count);
            return;
        }

        Batch.RecordWithoutStock(orderId, ReservationStatus.Rejected);
        var rejected = new InventoryRejected { OrderId = placed.OrderId };
        rejected.Shortages.AddRange(shortages.Select(s => new StockShortage { Sku = s.Sku, Requested = s.Requested, Available = s.Available }));
        await outbox.WriteAsync(transaction, Topics.Inventory, placed.OrderId, rejected, cancellationToken: cancellationToken);
        LogRejected(logger, orderId, string.Join(", ", shortages.Select(s => s.Sku)));
    }

    private void OnSettled(Guid orderId, Func<ReservationStatus, StockMove?> decide, string eventName, ReservationStatus? statusWhenUnknown)
    {
        var status = Batch.StatusOf(orderId);
        if (status is null)
        {
            // Events of one order share a partition and come in order, so Inventory never saw this order placed.
            if (statusWhenUnknown is { } recorded)
                Batch.RecordWithoutStock(orderId, recorded);
            LogUnknownOrder(logger, eventName, orderId);
            return;
        }

        var move = decide(status.Value);
        if (move is null)
        {
            LogNothingToMove(logger, eventName, orderId, status.Value);
            return;
        }
        Batch.Move(orderId, move);
        LogMoved(logger, orderId, move.From, move.To);
    }

    private static Guid ParseOrderId(string orderId, ConsumedMessage message) =>
        Guid.TryParse(orderId, out var id)
            ? id
            : throw new PoisonMessageException($"{message.Type} {message.MessageId} has no valid order id: '{orderId}'.");

    /// <summary>Orders validates lines before it emits OrderPlaced: lines that break its rules are a contract violation.</summary>
    private static List<OrderLine> ToOrderLines(OrderPlaced placed)
    {
        if (placed.Lines.Count == 0)
            throw new PoisonMessageException($"OrderPlaced {placed.OrderId} has no lines.");
        var lines = new List<OrderLine>(placed.Lines.Count);
        var skus = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in placed.Lines)
        {
            if (line.Quantity <= 0 || !skus.Add(line.Sku) || line.Sku.Length == 0)
                throw new PoisonMessageException($"OrderPlaced {placed.OrderId} has an invalid line (SKU '{line.Sku}', quantity {line.Quantity}).");
            lines.Add(new OrderLine(line.Sku, line.Quantity));
        }
        return lines;
    }

    [LoggerMessage(LogLevel.Information, "Reserved {LineCount} line(s) for order {OrderId}")]
    private static partial void LogReserved(ILogger logger, Guid orderId, int lineCount);

    [LoggerMessage(LogLevel.Information, "Rejected order {OrderId}: not enough stock of {Skus}")]
    private static partial void LogRejected(ILogger logger, Guid orderId, string skus);

    [LoggerMessage(LogLevel.Information, "Order {OrderId} was already handled; its OrderPlaced changes nothing")]
    private static partial void LogAlreadyHandled(ILogger logger, Guid orderId);

    [LoggerMessage(LogLevel.Information, "Order {OrderId}: stock moved from {From} to {To}")]
    private static partial void LogMoved(ILogger logger, Guid orderId, ReservationStatus from, ReservationStatus to);

    [LoggerMessage(LogLevel.Information, "{EventName} for order {OrderId} finds it {Status}: nothing to move")]
    private static partial void LogNothingToMove(ILogger logger, string eventName, Guid orderId, ReservationStatus status);

    [LoggerMessage(LogLevel.Warning, "{EventName} for order {OrderId}, which Inventory has not seen placed")]
    private static partial void LogUnknownOrder(ILogger logger, string eventName, Guid orderId);
}
