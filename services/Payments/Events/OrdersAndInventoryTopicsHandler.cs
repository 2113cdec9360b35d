using System.Diagnostics;
using Checkout.Contracts;
using Checkout.Contracts.Events.V1;
using Checkout.Payments.Data;
using Checkout.Payments.Domain;
using Checkout.Payments.Provider;
using Checkout.ServiceDefaults.Messaging;
using Google.Protobuf.Reflection;
using Npgsql;

namespace Checkout.Payments.Events;

/// <summary>
/// Charges an order once it has both been placed ("orders": amount and token) and had its stock reserved
/// ("inventory"), whichever arrives second; voids or refunds it when the order is cancelled. Outcomes are
/// published on "payments" through the outbox, in the handler's transaction.
/// </summary>
/// <remarks>
/// A batch's payment rows are locked up front, its events decided in memory, the orders it made ready charged
/// concurrently, and the rows written back at once, all in the consumer's transaction.
/// The provider call is an external side effect made before the transaction commits, while the payment row is
/// locked. If the commit then fails (or the process dies), the message is delivered again and the charge is
/// requested again with the same idempotency key (the order id): the provider answers with the first charge, so the
/// customer is charged once and the retry only records it. The inbox and the row's status make every other
/// redelivery a no-op.
/// </remarks>
public sealed partial class OrdersAndInventoryTopicsHandler(PaymentStore store, PaymentGateway gateway, IOutbox outbox, ILogger<OrdersAndInventoryTopicsHandler> logger) : IMessageHandler
{
    public static IReadOnlyList<MessageDescriptor> HandledTypes { get; } = [OrderPlaced.Descriptor, InventoryReserved.Descriptor, OrderCancelled.Descriptor];

    /// <summary>Provider calls of one batch in flight at once.</summary>
    private const int MaxConcurrentCharges = 16;

    private static readonly ActivitySource Tracing = new("Checkout.Payments");

    private Dictionary<Guid, PaymentRecord>? _payments;
    private readonly HashSet<Guid> _changed = [];
    // Orders the batch made ready to charge, with the trace of the message that did, charged together before the commit.
    private readonly List<(Guid OrderId, ActivityContext Cause)> _toCharge = [];

    private Dictionary<Guid, PaymentRecord> Payments => _payments ?? throw new InvalidOperationException("PrepareAsync locks the batch's payments before any event is handled.");

    /// <summary>Locks (creating the missing ones) the payment of every order the batch's messages name, in one round trip.</summary>
    public async Task PrepareAsync(IReadOnlyList<ConsumedMessage> messages, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var orderIds = new HashSet<Guid>();
        foreach (var message in messages)
        {
            var orderId = message.Is<OrderPlaced>() ? message.Payload<OrderPlaced>().OrderId
                : message.Is<InventoryReserved>() ? message.Payload<InventoryReserved>().OrderId
                : message.Is<OrderCancelled>() ? message.Payload<OrderCancelled>().OrderId
                : null;
            // An invalid id is left to HandleAsync, which sends its message to the dead-letter topic.
            if (Guid.TryParse(orderId, out var id))
                orderIds.Add(id);
        }
        _payments = orderIds.Count == 0 ? [] : await store.LockBatchAsync(transaction, [.. orderIds], cancellationToken);
    }

    public async Task HandleAsync(ConsumedMessage message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (message.Is<OrderPlaced>())
        {
            var placed = message.Payload<OrderPlaced>();
            var orderId = OrderId(placed.OrderId, message);
            Update(orderId, payment => payment with
            {
                OrderPlaced = true,
                AmountMinor = placed.TotalMinor,
                Currency = placed.Currency,
                // The token is kept only while the charge is still to be decided.
                PaymentToken = payment.Status == PaymentStatus.Pending ? placed.PaymentToken : null,
            });
            ChargeIfReady(orderId);
        }
        else if (message.Is<InventoryReserved>())
        {
            var orderId = OrderId(message.Payload<InventoryReserved>().OrderId, message);
            Update(orderId, payment => payment with { StockReserved = true });
            ChargeIfReady(orderId);
        }
        else if (message.Is<OrderCancelled>())
        {
            var orderId = OrderId(message.Payload<OrderCancelled>().OrderId, message);
            // A charge this batch decided on comes first: the cancellation must find it made, to refund it.
            if (_toCharge.Exists(charge => charge.OrderId == orderId))
                await ChargeAsync(transaction, cancellationToken);
            await CompensateAsync(transaction, Payments[orderId], cancellationToken);
        }
        // OrderConfirmed changes nothing here (the charge is already captured); InventoryRejected means there is
        // nothing to charge, and the order's cancellation that follows voids the payment.
    }

    /// <summary>Charges the orders the batch made ready, all at once, then adds the write of every payment the batch changed.</summary>
    public async Task CompleteAsync(NpgsqlBatch writes, CancellationToken cancellationToken)
    {
        await ChargeAsync(writes.Transaction!, cancellationToken);
        PaymentStore.AddBatchWrites(writes, _changed.Select(orderId => Payments[orderId]).ToList());
    }

    private void Update(Guid orderId, Func<PaymentRecord, PaymentRecord> change)
    {
        Payments[orderId] = change(Payments[orderId]);
        _changed.Add(orderId);
    }

    private void ChargeIfReady(Guid orderId)
    {
        if (PaymentRules.AfterSagaEvent(Payments[orderId].Progress) == PaymentAction.Charge && !_toCharge.Exists(charge => charge.OrderId == orderId))
            _toCharge.Add((orderId, Activity.Current?.Context ?? default));
    }

    /// <remarks>
    /// The provider calls run concurrently, each in a span under the message that made its order ready; each outcome
    /// is then recorded and published in that span, so the checkout's trace goes on through PaymentSucceeded.
    /// </remarks>
    private async Task ChargeAsync(NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (_toCharge.Count == 0)
            return;
        var charges = _toCharge.ToArray();
        _toCharge.Clear();
        var spans = new Activity?[charges.Length];
        var outcomes = new ChargeOutcome[charges.Length];
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, charges.Length),
                new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentCharges, CancellationToken = cancellationToken },
                async (i, token) =>
                {
                    var payment = Payments[charges[i].OrderId];
                    spans[i] = Tracing.StartActivity("charge", ActivityKind.Internal, charges[i].Cause);
                    spans[i]?.SetTag("checkout.order_id", payment.OrderId.ToString());
                    outcomes[i] = await gateway.ChargeAsync(payment.OrderId, payment.AmountMinor, payment.Currency, payment.PaymentToken ?? "", token);
                });

            var outer = Activity.Current;
            for (var i = 0; i < charges.Length; i++)
            {
                Activity.Current = spans[i] ?? outer;
                await RecordChargeAsync(transaction, Payments[charges[i].OrderId], outcomes[i], cancellationToken);
            }
            Activity.Current = outer;
        }
        finally
        {
            foreach (var span in spans)
                span?.Dispose();
        }
    }

    private async Task RecordChargeAsync(NpgsqlTransaction transaction, PaymentRecord payment, ChargeOutcome outcome, CancellationToken cancellationToken)
    {
        var key = payment.OrderId.ToString();
        Update(payment.OrderId, current => current with
        {
            Status = outcome.Captured ? PaymentStatus.Captured : PaymentStatus.Failed,
            Attempts = current.Attempts + outcome.Attempts,
            ProviderReference = outcome.Captured ? outcome.Reference : null,
            FailureReason = outcome.Captured ? null : outcome.FailureReason,
            PaymentToken = null,
        });
        if (outcome.Captured)
        {
            await outbox.WriteAsync(transaction, Topics.Payments, key, new PaymentSucceeded
            {
                OrderId = key,
                AmountMinor = payment.AmountMinor,
                Currency = payment.Currency,
                ProviderReference = outcome.Reference,
            }, cancellationToken: cancellationToken);
            LogCaptured(logger, payment.OrderId, payment.AmountMinor, payment.Currency, outcome.Attempts);
        }
        else
        {
            await outbox.WriteAsync(transaction, Topics.Payments, key, new PaymentFailed { OrderId = key, Reason = outcome.FailureReason }, cancellationToken: cancellationToken);
            LogFailed(logger, payment.OrderId, outcome.FailureReason, outcome.Attempts);
        }
    }

    private async Task CompensateAsync(NpgsqlTransaction transaction, PaymentRecord payment, CancellationToken cancellationToken)
    {
        switch (PaymentRules.OnOrderCancelled(payment.Status))
        {
            case PaymentAction.Void:
                Update(payment.OrderId, current => current with { Status = PaymentStatus.Voided, PaymentToken = null });
                LogVoided(logger, payment.OrderId);
                break;
            case PaymentAction.Refund:
                // Same reasoning as the charge: the provider refunds once per order id, however often this runs.
                await gateway.RefundAsync(payment.OrderId, payment.AmountMinor, payment.Currency, cancellationToken);
                Update(payment.OrderId, current => current with { Status = PaymentStatus.Refunded, RefundedMinor = payment.AmountMinor });
                var key = payment.OrderId.ToString();
                await outbox.WriteAsync(transaction, Topics.Payments, key,
                    new PaymentRefunded { OrderId = key, AmountMinor = payment.AmountMinor, Currency = payment.Currency }, cancellationToken: cancellationToken);
                LogRefunded(logger, payment.OrderId, payment.AmountMinor, payment.Currency);
                break;
        }
    }

    private static Guid OrderId(string orderId, ConsumedMessage message) => Guid.TryParse(orderId, out var id)
        ? id
        : throw new PoisonMessageException($"Message {message.MessageId} ({message.Type}) names no valid order id: '{orderId}'.");

    [LoggerMessage(LogLevel.Information, "Captured {AmountMinor} {Currency} for order {OrderId} in {Attempts} attempt(s)")]
    private static partial void LogCaptured(ILogger logger, Guid orderId, long amountMinor, string currency, int attempts);

    [LoggerMessage(LogLevel.Information, "Payment of order {OrderId} failed after {Attempts} attempt(s): {Reason}")]
    private static partial void LogFailed(ILogger logger, Guid orderId, string reason, int attempts);

    [LoggerMessage(LogLevel.Information, "Payment of cancelled order {OrderId} voided before any charge")]
    private static partial void LogVoided(ILogger logger, Guid orderId);

    [LoggerMessage(LogLevel.Information, "Refunded {AmountMinor} {Currency} of cancelled order {OrderId}")]
    private static partial void LogRefunded(ILogger logger, Guid orderId, long amountMinor, string currency);
}
