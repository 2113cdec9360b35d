using Checkout.Contracts.Events.V1;
using Checkout.Payments.Data;
using Checkout.Payments.Domain;
using Checkout.Payments.Provider;
using Checkout.ServiceDefaults.Messaging;
using Npgsql;

namespace Checkout.Payments.Events;

/// <summary>
/// Charges an order once it has both been placed ("orders": amount and token) and had its stock reserved
/// ("inventory"), whichever arrives second; voids or refunds it when the order is cancelled. Outcomes are
/// published on "payments" through the outbox, in the handler's transaction.
/// </summary>
/// <remarks>
/// The provider call is an external side effect made before the transaction commits, while the payment row is
/// locked. If the commit then fails (or the process dies), the message is delivered again and the charge is
/// requested again with the same idempotency key (the order id): the provider answers with the first charge, so the
/// customer is charged once and the retry only records it. The inbox and the row's status make every other
/// redelivery a no-op.
/// </remarks>
public sealed partial class PaymentEventsHandler(PaymentStore store, PaymentGateway gateway, IOutbox outbox, ILogger<PaymentEventsHandler> logger) : IMessageHandler
{
    public const string OrdersTopic = "orders";
    public const string InventoryTopic = "inventory";
    public const string PaymentsTopic = "payments";

    public async Task HandleAsync(ConsumedMessage message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (message.Is<OrderPlaced>())
        {
            var placed = message.Payload<OrderPlaced>();
            var payment = await store.RecordOrderPlacedAsync(transaction, OrderId(placed.OrderId, message), placed.TotalMinor, placed.Currency, placed.PaymentToken, cancellationToken);
            await ChargeIfReadyAsync(transaction, payment, cancellationToken);
        }
        else if (message.Is<InventoryReserved>())
        {
            var reserved = message.Payload<InventoryReserved>();
            var payment = await store.RecordStockReservedAsync(transaction, OrderId(reserved.OrderId, message), cancellationToken);
            await ChargeIfReadyAsync(transaction, payment, cancellationToken);
        }
        else if (message.Is<OrderCancelled>())
        {
            var cancelled = message.Payload<OrderCancelled>();
            var payment = await store.LockForCancellationAsync(transaction, OrderId(cancelled.OrderId, message), cancellationToken);
            await CompensateAsync(transaction, payment, cancellationToken);
        }
        // OrderConfirmed changes nothing here (the charge is already captured); InventoryRejected means there is
        // nothing to charge, and the order's cancellation that follows voids the payment.
    }

    private async Task ChargeIfReadyAsync(NpgsqlTransaction transaction, PaymentRecord payment, CancellationToken cancellationToken)
    {
        if (PaymentRules.AfterSagaEvent(payment.Progress) != PaymentAction.Charge)
            return;
        var outcome = await gateway.ChargeAsync(payment.OrderId, payment.AmountMinor, payment.Currency, payment.PaymentToken ?? "", cancellationToken);
        var key = payment.OrderId.ToString();
        if (outcome.Captured)
        {
            await store.SaveChargeAsync(transaction, payment.OrderId, PaymentStatus.Captured, outcome.Attempts, outcome.Reference, null, cancellationToken);
            await outbox.WriteAsync(transaction, PaymentsTopic, key, new PaymentSucceeded
            {
                OrderId = key, AmountMinor = payment.AmountMinor, Currency = payment.Currency, ProviderReference = outcome.Reference,
            }, cancellationToken: cancellationToken);
            LogCaptured(logger, payment.OrderId, payment.AmountMinor, payment.Currency, outcome.Attempts);
        }
        else
        {
            await store.SaveChargeAsync(transaction, payment.OrderId, PaymentStatus.Failed, outcome.Attempts, null, outcome.FailureReason, cancellationToken);
            await outbox.WriteAsync(transaction, PaymentsTopic, key, new PaymentFailed { OrderId = key, Reason = outcome.FailureReason }, cancellationToken: cancellationToken);
            LogFailed(logger, payment.OrderId, outcome.FailureReason, outcome.Attempts);
        }
    }

    private async Task CompensateAsync(NpgsqlTransaction transaction, PaymentRecord payment, CancellationToken cancellationToken)
    {
        switch (PaymentRules.OnOrderCancelled(payment.Status))
        {
            case PaymentAction.Void:
                await store.SaveVoidAsync(transaction, payment.OrderId, cancellationToken);
                LogVoided(logger, payment.OrderId);
                break;
            case PaymentAction.Refund:
                // Same reasoning as the charge: the provider refunds once per order id, however often this runs.
                await gateway.RefundAsync(payment.OrderId, payment.AmountMinor, payment.Currency, cancellationToken);
                await store.SaveRefundAsync(transaction, payment.OrderId, payment.AmountMinor, cancellationToken);
                var key = payment.OrderId.ToString();
                await outbox.WriteAsync(transaction, PaymentsTopic, key,
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
