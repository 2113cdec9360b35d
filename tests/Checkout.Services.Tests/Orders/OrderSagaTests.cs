using Checkout.Orders.Domain;

namespace Checkout.Services.Tests.Orders;

/// <summary>The order state machine, alone: transitions, duplicates and out-of-order events.</summary>
public sealed class OrderSagaTests
{
    private static readonly StockReserved Reserved = new([("SKU-1", 2)]);
    private static readonly StockRejected Rejected = new([("SKU-1", 3, 1L), ("SKU-2", 5, 0L)]);
    private static readonly PaymentCaptured Paid = new(2500, "EUR", "ch_1");
    private static readonly PaymentRejected Declined = new("card declined");

    [Fact]
    public void A_reservation_keeps_the_order_pending_and_records_the_step()
    {
        var step = OrderSaga.Apply(OrderStatus.Pending, Reserved);
        Assert.Equal(OrderStatus.Pending, step.Status);
        Assert.Equal([new TimelineStep("inventory-reserved", "SKU-1 x2")], step.Timeline);
        Assert.False(step.Confirmed(OrderStatus.Pending));
        Assert.False(step.Cancelled(OrderStatus.Pending));
    }

    [Fact]
    public void A_captured_payment_confirms_a_pending_order()
    {
        var step = OrderSaga.Apply(OrderStatus.Pending, Paid);
        Assert.Equal(OrderStatus.Confirmed, step.Status);
        Assert.True(step.Confirmed(OrderStatus.Pending));
        Assert.Equal(["payment-succeeded", "confirmed"], step.Timeline.Select(e => e.Step));
    }

    [Fact]
    public void A_shortage_cancels_with_every_missing_SKU_in_the_reason()
    {
        var step = OrderSaga.Apply(OrderStatus.Pending, Rejected);
        Assert.Equal(OrderStatus.Cancelled, step.Status);
        Assert.Equal("out of stock: SKU-1 (requested 3, available 1), SKU-2 (requested 5, available 0)", step.CancellationReason);
        Assert.False(step.WasConfirmed);
    }

    [Fact]
    public void A_failed_payment_cancels_with_the_providers_reason()
    {
        var step = OrderSaga.Apply(OrderStatus.Pending, Declined);
        Assert.Equal("payment declined: card declined", step.CancellationReason);
        Assert.True(step.Cancelled(OrderStatus.Pending));
    }

    public static TheoryData<OrderStatus, SagaEvent> LateEvents => new()
    {
        { OrderStatus.Confirmed, Paid }, { OrderStatus.Confirmed, Reserved }, { OrderStatus.Confirmed, Rejected }, { OrderStatus.Confirmed, Declined },
        { OrderStatus.Cancelled, Paid }, { OrderStatus.Cancelled, Reserved }, { OrderStatus.Cancelled, Rejected }, { OrderStatus.Cancelled, Declined },
    };

    [Theory]
    [MemberData(nameof(LateEvents))]
    public void Events_for_a_settled_order_never_move_it_and_are_only_recorded(OrderStatus settled, SagaEvent late)
    {
        var step = OrderSaga.Apply(settled, late);
        Assert.Equal(settled, step.Status);
        Assert.Null(step.CancellationReason);
        Assert.False(step.Confirmed(settled) || step.Cancelled(settled));
        var entry = Assert.Single(step.Timeline);
        Assert.Equal(late.Step, entry.Step);
        Assert.EndsWith($"(ignored: order already {settled.ToString().ToLowerInvariant()})", entry.Detail);
    }

    [Fact]
    public void Out_of_order_payment_then_reservation_confirms_once()
    {
        var afterPayment = OrderSaga.Apply(OrderStatus.Pending, Paid);
        var afterReservation = OrderSaga.Apply(afterPayment.Status, Reserved);
        Assert.Equal(OrderStatus.Confirmed, afterReservation.Status);
        Assert.False(afterReservation.Confirmed(afterPayment.Status));
    }

    [Theory]
    [InlineData(OrderStatus.Pending, false)]
    [InlineData(OrderStatus.Confirmed, true)]
    public void The_customer_cancels_pending_and_confirmed_orders(OrderStatus current, bool wasConfirmed)
    {
        var step = OrderSaga.CancelByCustomer(current, null);
        Assert.Equal(OrderStatus.Cancelled, step.Status);
        Assert.Equal("cancelled by customer", step.CancellationReason);
        Assert.Equal(wasConfirmed, step.WasConfirmed);
    }

    [Fact]
    public void Cancelling_a_cancelled_order_changes_nothing()
    {
        var step = OrderSaga.CancelByCustomer(OrderStatus.Cancelled, "again");
        Assert.Equal(OrderStatus.Cancelled, step.Status);
        Assert.Empty(step.Timeline);
    }

    [Theory]
    [InlineData(OrderStatus.Pending, OrderStatus.Cancelled, "timeout")]
    [InlineData(OrderStatus.Confirmed, OrderStatus.Confirmed, null)]
    [InlineData(OrderStatus.Cancelled, OrderStatus.Cancelled, null)]
    public void Only_a_pending_order_times_out(OrderStatus current, OrderStatus expected, string? reason)
    {
        var step = OrderSaga.TimeOut(current, TimeSpan.FromSeconds(30));
        Assert.Equal(expected, step.Status);
        Assert.Equal(reason, step.CancellationReason);
    }
}
