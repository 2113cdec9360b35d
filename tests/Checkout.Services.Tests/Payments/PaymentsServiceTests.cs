using Checkout.Contracts;
using Checkout.Contracts.Events.V1;
using Checkout.Contracts.Payments.V1;
using Grpc.Core;

namespace Checkout.Services.Tests.Payments;

/// <summary>Payments as a process, driven over Kafka and read over gRPC, with the simulated provider's ledger checked in its database.</summary>
public sealed class PaymentsServiceTests(PaymentsFixture fixture) : IClassFixture<PaymentsFixture>
{
    [Fact]
    public async Task Placed_then_reserved_charges_once()
    {
        var orderId = NewOrderId();
        await fixture.Events.PublishAsync("orders", orderId, PaymentsFixture.Placed(orderId, "tok_visa"));
        Assert.Equal(PaymentStatus.Pending, (await fixture.WaitForStatusAsync(orderId, PaymentStatus.Pending)).Status);
        await fixture.Events.PublishAsync("inventory", orderId, PaymentsFixture.Reserved(orderId));

        var payment = await fixture.WaitForStatusAsync(orderId, PaymentStatus.Captured);
        Assert.Equal(4200, payment.AmountMinor);
        var succeeded = await fixture.Events.WaitForAsync<PaymentSucceeded>(orderId);
        Assert.Equal(payment.ProviderReference, succeeded.ProviderReference);
        Assert.Equal(4200, succeeded.AmountMinor);
        await AssertChargedOnceAsync(orderId);
    }

    [Fact]
    public async Task Reserved_then_placed_charges_once()
    {
        var orderId = NewOrderId();
        await fixture.Events.PublishAsync("inventory", orderId, PaymentsFixture.Reserved(orderId));
        await fixture.WaitForStatusAsync(orderId, PaymentStatus.Pending);
        await fixture.Events.PublishAsync("orders", orderId, PaymentsFixture.Placed(orderId, "tok_visa"));

        await fixture.WaitForStatusAsync(orderId, PaymentStatus.Captured);
        await fixture.Events.WaitForAsync<PaymentSucceeded>(orderId);
        await AssertChargedOnceAsync(orderId);
    }

    [Fact]
    public async Task Both_halves_arriving_together_on_their_two_topics_charge_each_order_once()
    {
        var orderIds = Enumerable.Range(0, 12).Select(_ => NewOrderId()).ToList();
        await Task.WhenAll(orderIds.SelectMany(orderId => new[]
        {
            fixture.Events.PublishAsync("orders", orderId, PaymentsFixture.Placed(orderId, "tok_visa")),
            fixture.Events.PublishAsync("inventory", orderId, PaymentsFixture.Reserved(orderId)),
        }));

        foreach (var orderId in orderIds)
        {
            await fixture.WaitForStatusAsync(orderId, PaymentStatus.Captured);
            await fixture.Events.WaitForAsync<PaymentSucceeded>(orderId);
            await AssertChargedOnceAsync(orderId);
        }
    }

    [Fact]
    public async Task A_declined_card_fails_the_payment_without_retrying()
    {
        var orderId = await PlaceAndReserveAsync("tok_decline");

        var payment = await fixture.WaitForStatusAsync(orderId, PaymentStatus.Failed);
        Assert.Equal("card declined", payment.FailureReason);
        Assert.Equal(1, payment.Attempts);
        Assert.Equal("card declined", (await fixture.Events.WaitForAsync<PaymentFailed>(orderId)).Reason);
        Assert.Empty(fixture.Events.All<PaymentSucceeded>(orderId));
    }

    [Fact]
    public async Task Transient_provider_failures_are_retried_into_one_capture()
    {
        var orderId = await PlaceAndReserveAsync("tok_flaky");

        var payment = await fixture.WaitForStatusAsync(orderId, PaymentStatus.Captured);
        Assert.True(payment.Attempts >= 3, $"{payment.Attempts} attempts");
        await fixture.Events.WaitForAsync<PaymentSucceeded>(orderId);
        await AssertChargedOnceAsync(orderId, payment.Attempts);
    }

    [Fact]
    public async Task A_provider_that_never_answers_fails_the_payment_after_the_retries()
    {
        var orderId = await PlaceAndReserveAsync("tok_timeout");

        var payment = await fixture.WaitForStatusAsync(orderId, PaymentStatus.Failed);
        Assert.Equal("payment provider timed out", payment.FailureReason);
        Assert.True(payment.Attempts > 1, $"{payment.Attempts} attempts");
        Assert.Equal("payment provider timed out", (await fixture.Events.WaitForAsync<PaymentFailed>(orderId)).Reason);
        Assert.Equal(0, await fixture.CountAsync($"SELECT count(*) FROM simulated_provider.charges WHERE idempotency_key = '{orderId}'"));
    }

    [Fact]
    public async Task An_order_cancelled_before_the_charge_is_voided_and_a_later_reservation_charges_nothing()
    {
        var orderId = NewOrderId();
        await fixture.Events.PublishAsync("orders", orderId, PaymentsFixture.Placed(orderId, "tok_visa"));
        await fixture.Events.PublishAsync("orders", orderId, new OrderCancelled { OrderId = orderId, CustomerId = "customer-1", Reason = "timeout" });
        await fixture.WaitForStatusAsync(orderId, PaymentStatus.Voided);

        await fixture.Events.PublishAsync("inventory", orderId, PaymentsFixture.Reserved(orderId));
        await Eventually.UntilAsync(async () => await fixture.CountAsync(
            $"SELECT count(*) FROM payments WHERE order_id = '{orderId}' AND stock_reserved") == 1, "the late reservation is handled");

        Assert.Equal(PaymentStatus.Voided, (await fixture.GetAsync(orderId)).Status);
        Assert.Equal(0, await fixture.CountAsync($"SELECT count(*) FROM simulated_provider.calls WHERE idempotency_key = '{orderId}'"));
        // Nothing written: no charge, no PaymentSucceeded or PaymentFailed (the outbox row would commit with stock_reserved).
        Assert.Equal(0, await fixture.OutboxEventsAsync(orderId));
    }

    [Fact]
    public async Task An_order_cancelled_after_the_charge_is_refunded_once()
    {
        var orderId = await PlaceAndReserveAsync("tok_visa");
        await fixture.WaitForStatusAsync(orderId, PaymentStatus.Captured);
        var cancelled = new OrderCancelled { OrderId = orderId, CustomerId = "customer-1", Reason = "cancelled by customer", WasConfirmed = true };
        var cancellation = await fixture.Events.PublishAsync("orders", orderId, cancelled);

        var payment = await fixture.WaitForStatusAsync(orderId, PaymentStatus.Refunded);
        Assert.Equal(4200, payment.RefundedMinor);
        Assert.Equal(4200, (await fixture.Events.WaitForAsync<PaymentRefunded>(orderId)).AmountMinor);
        Assert.Equal(4200, await fixture.CountAsync($"SELECT refunded_minor FROM simulated_provider.charges WHERE idempotency_key = '{orderId}'"));

        // The same cancellation redelivered, and another one: neither refunds again.
        await fixture.Events.PublishAsync("orders", orderId, cancellation);
        await fixture.Events.PublishAsync("orders", orderId, cancelled);
        await WaitUntilHandledAsync(orderId);
        // PaymentSucceeded and one PaymentRefunded, published or not.
        Assert.Equal(2, await fixture.OutboxEventsAsync(orderId));
        Assert.Single(fixture.Events.All<PaymentRefunded>(orderId));
    }

    [Fact]
    public async Task Redelivered_events_never_charge_twice()
    {
        var orderId = NewOrderId();
        var placed = PaymentsFixture.Placed(orderId, "tok_visa");
        var placedEnvelope = await fixture.Events.PublishAsync("orders", orderId, placed);
        var reservedEnvelope = await fixture.Events.PublishAsync("inventory", orderId, PaymentsFixture.Reserved(orderId));
        await fixture.WaitForStatusAsync(orderId, PaymentStatus.Captured);

        // Redelivered as they were (the inbox drops them) and republished with new ids (the payment's status stops them).
        await fixture.Events.PublishAsync("orders", orderId, placedEnvelope);
        await fixture.Events.PublishAsync("inventory", orderId, reservedEnvelope);
        await fixture.Events.PublishAsync("orders", orderId, placed);
        await fixture.Events.PublishAsync("inventory", orderId, PaymentsFixture.Reserved(orderId));
        await WaitUntilHandledAsync(orderId);

        // The event leaves through the outbox after the status commits: wait for it, then check it came only once.
        await fixture.Events.WaitForAsync<PaymentSucceeded>(orderId);
        Assert.Single(fixture.Events.All<PaymentSucceeded>(orderId));
        await AssertChargedOnceAsync(orderId);
    }

    [Fact]
    public async Task A_charge_made_before_a_lost_commit_is_recorded_not_repeated()
    {
        // As if an earlier delivery had charged and then failed to commit: the provider's ledger already holds the charge.
        var orderId = NewOrderId();
        await fixture.CountAsync($"""
            WITH charged AS (INSERT INTO simulated_provider.charges (idempotency_key, outcome, reference, amount_minor, currency)
                             VALUES ('{orderId}', 'captured', 'ch_earlier', 4200, 'EUR') RETURNING 1)
            SELECT count(*) FROM charged
            """);

        await PlaceAndReserveAsync("tok_visa", orderId);

        var payment = await fixture.WaitForStatusAsync(orderId, PaymentStatus.Captured);
        Assert.Equal("ch_earlier", payment.ProviderReference);
        Assert.Equal(1, await fixture.CountAsync($"SELECT count(*) FROM simulated_provider.charges WHERE idempotency_key = '{orderId}'"));
    }

    [Fact]
    public async Task GetPayment_refuses_malformed_ids_and_answers_NOT_FOUND_for_unknown_orders()
    {
        var malformed = await Assert.ThrowsAsync<RpcException>(() => fixture.GetAsync("order-1"));
        Assert.Equal(StatusCode.InvalidArgument, malformed.StatusCode);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => fixture.GetAsync(NewOrderId()));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    private static string NewOrderId() => Guid.CreateVersion7().ToString();

    private async Task<string> PlaceAndReserveAsync(string token, string? orderId = null)
    {
        orderId ??= NewOrderId();
        await fixture.Events.PublishAsync("orders", orderId, PaymentsFixture.Placed(orderId, token));
        await fixture.Events.PublishAsync("inventory", orderId, PaymentsFixture.Reserved(orderId));
        return orderId;
    }

    /// <summary>
    /// Waits until every message published so far for the order has gone through the consumer (handled, or dropped as
    /// a duplicate): a marker that Payments ignores is sent behind them on each topic (same key, so same partition and
    /// lane), and once both markers are in the inbox, everything before them was handled.
    /// </summary>
    private async Task WaitUntilHandledAsync(string orderId)
    {
        var markers = new[]
        {
            await fixture.Events.PublishAtAsync("orders", orderId, EventLog.NewEnvelope(orderId, new OrderConfirmed { OrderId = orderId, CustomerId = "customer-1" })),
            await fixture.Events.PublishAtAsync("inventory", orderId, EventLog.NewEnvelope(orderId, new InventoryRejected { OrderId = orderId })),
        };
        // Payments acts on neither type: it passes them over without an inbox row, so what shows they went by is the
        // group's committed offsets.
        await fixture.Events.PassedAsync(ServiceNames.Payments, markers);
    }

    /// <summary>
    /// After every message of the order went through: one charge in the provider's ledger, <paramref name="calls"/>
    /// provider calls (one, unless the provider failed transiently first), the payment counting as many, and one
    /// PaymentSucceeded. A second charge attempt would show as an extra call or event.
    /// </summary>
    private async Task AssertChargedOnceAsync(string orderId, int calls = 1)
    {
        await WaitUntilHandledAsync(orderId);
        await fixture.Events.WaitForAsync<PaymentSucceeded>(orderId);
        Assert.Equal(1, await fixture.CountAsync($"SELECT count(*) FROM simulated_provider.charges WHERE idempotency_key = '{orderId}'"));
        Assert.Equal(calls, await fixture.CountAsync($"SELECT calls FROM simulated_provider.calls WHERE idempotency_key = '{orderId}'"));
        Assert.Equal(calls, (await fixture.GetAsync(orderId)).Attempts);
        Assert.Equal(1, await fixture.OutboxEventsAsync(orderId));
        Assert.Single(fixture.Events.All<PaymentSucceeded>(orderId));
    }
}
