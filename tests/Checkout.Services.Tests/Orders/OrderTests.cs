using Checkout.Orders.Domain;

namespace Checkout.Services.Tests.Orders;

/// <summary>The order's decisions, alone: placing, saga steps (duplicates and out-of-order ones too), cancellations, and the events each raises.</summary>
public sealed class OrderTests
{
    private static readonly OrderLine[] Lines = [new("SKU-1", "Espresso cup", 2, 1250), new("SKU-2", "Saucer", 1, 899)];
    private static readonly StockReserved Reserved = new([("SKU-1", 2)]);
    private static readonly StockRejected Rejected = new([("SKU-1", 3, 1L), ("SKU-2", 5, 0L)]);
    private static readonly PaymentCaptured Paid = new(3399, "EUR", "ch_1");
    private static readonly PaymentRejected Declined = new("card declined");

    private static Order AnOrder(OrderStatus status) =>
        new(Guid.CreateVersion7(), "customer-1", status, Lines, 3399, "EUR", status == OrderStatus.Cancelled ? "timeout" : null);

    [Fact]
    public void Placing_makes_a_pending_order_and_raises_OrderPlaced_with_the_priced_lines_and_total()
    {
        var placed = Order.Place("customer-1", Lines, "EUR", "tok_visa");

        var order = placed.Order;
        Assert.Equal(OrderStatus.Pending, order.Status);
        Assert.Equal(2 * 1250 + 899, order.TotalMinor);
        Assert.Equal([new TimelineStep("placed", "2 line(s), 3399 EUR")], placed.Timeline);
        var @event = Assert.IsType<OrderPlaced>(Assert.Single(placed.Events));
        Assert.Equal((order.OrderId, "customer-1", 3399L, "EUR", "tok_visa"),
            (@event.OrderId, @event.CustomerId, @event.TotalMinor, @event.Currency, @event.PaymentToken));
        Assert.Equal(Lines, @event.Lines);
    }

    [Fact]
    public void Placing_an_order_whose_total_does_not_fit_throws()
    {
        OrderLine[] huge = [new("SKU-1", "Yacht", 1000, long.MaxValue / 1000), new("SKU-2", "Anchor", 1000, long.MaxValue / 1000)];
        Assert.Throws<OverflowException>(() => Order.Place("customer-1", huge, "EUR", "tok_visa"));
    }

    [Fact]
    public void A_reservation_keeps_the_order_pending_records_the_step_and_raises_nothing()
    {
        var order = AnOrder(OrderStatus.Pending);
        var change = order.Apply(Reserved);
        Assert.Equal(order, change.Order);
        Assert.Equal([new TimelineStep("inventory-reserved", "SKU-1 x2")], change.Timeline);
        Assert.Empty(change.Events);
    }

    [Fact]
    public void A_captured_payment_confirms_a_pending_order_and_raises_OrderConfirmed()
    {
        var order = AnOrder(OrderStatus.Pending);
        var change = order.Apply(Paid);
        Assert.Equal(OrderStatus.Confirmed, change.Order.Status);
        Assert.Equal(["payment-succeeded", "confirmed"], change.Timeline.Select(e => e.Step));
        Assert.Equal(new OrderConfirmed(order.OrderId, "customer-1", 3399, "EUR"), Assert.Single(change.Events));
    }

    [Fact]
    public void A_shortage_cancels_with_every_missing_SKU_in_the_reason_and_raises_OrderCancelled_with_the_lines()
    {
        var change = AnOrder(OrderStatus.Pending).Apply(Rejected);
        const string reason = "out of stock: SKU-1 (requested 3, available 1), SKU-2 (requested 5, available 0)";
        Assert.Equal(OrderStatus.Cancelled, change.Order.Status);
        Assert.Equal(reason, change.Order.CancellationReason);
        var cancelled = Assert.IsType<OrderCancelled>(Assert.Single(change.Events));
        Assert.Equal(reason, cancelled.Reason);
        Assert.False(cancelled.WasConfirmed);
        Assert.Equal(Lines, cancelled.Lines);
    }

    [Fact]
    public void A_failed_payment_cancels_with_the_providers_reason()
    {
        var change = AnOrder(OrderStatus.Pending).Apply(Declined);
        Assert.Equal("payment declined: card declined", change.Order.CancellationReason);
        Assert.Equal("payment declined: card declined", Assert.IsType<OrderCancelled>(Assert.Single(change.Events)).Reason);
    }

    public static TheoryData<OrderStatus, SagaEvent> LateEvents => new()
    {
        { OrderStatus.Confirmed, Paid }, { OrderStatus.Confirmed, Reserved }, { OrderStatus.Confirmed, Rejected }, { OrderStatus.Confirmed, Declined },
        { OrderStatus.Cancelled, Paid }, { OrderStatus.Cancelled, Reserved }, { OrderStatus.Cancelled, Rejected }, { OrderStatus.Cancelled, Declined },
    };

    [Theory]
    [MemberData(nameof(LateEvents))]
    public void Events_for_a_settled_order_never_move_it_raise_nothing_and_are_only_recorded(OrderStatus settled, SagaEvent late)
    {
        var order = AnOrder(settled);
        var change = order.Apply(late);
        Assert.Equal(order, change.Order);
        Assert.Empty(change.Events);
        var entry = Assert.Single(change.Timeline);
        Assert.Equal(late.Step, entry.Step);
        Assert.EndsWith($"(ignored: order already {settled.ToString().ToLowerInvariant()})", entry.Detail);
    }

    [Fact]
    public void Out_of_order_payment_then_reservation_confirms_once()
    {
        var afterPayment = AnOrder(OrderStatus.Pending).Apply(Paid);
        var afterReservation = afterPayment.Order.Apply(Reserved);
        Assert.Equal(OrderStatus.Confirmed, afterReservation.Order.Status);
        Assert.IsType<OrderConfirmed>(Assert.Single(afterPayment.Events));
        Assert.Empty(afterReservation.Events);
    }

    [Theory]
    [InlineData(OrderStatus.Pending, false)]
    [InlineData(OrderStatus.Confirmed, true)]
    public void The_customer_cancels_pending_and_confirmed_orders_and_OrderCancelled_says_whether_it_was_confirmed(OrderStatus current, bool wasConfirmed)
    {
        var order = AnOrder(current);
        var change = order.CancelByCustomer("changed my mind");
        Assert.Equal(OrderStatus.Cancelled, change.Order.Status);
        Assert.Equal("cancelled by customer", change.Order.CancellationReason);
        Assert.Equal([new TimelineStep("cancelled", "cancelled by customer: changed my mind")], change.Timeline);
        Assert.Equal(new OrderCancelled(order.OrderId, "customer-1", "cancelled by customer", wasConfirmed, Lines), Assert.Single(change.Events));
    }

    [Fact]
    public void Cancelling_a_cancelled_order_changes_nothing_and_raises_nothing()
    {
        var order = AnOrder(OrderStatus.Cancelled);
        var change = order.CancelByCustomer("again");
        Assert.Equal(order, change.Order);
        Assert.Empty(change.Timeline);
        Assert.Empty(change.Events);
    }

    [Fact]
    public void A_pending_order_times_out_and_raises_OrderCancelled()
    {
        var change = AnOrder(OrderStatus.Pending).TimeOut(TimeSpan.FromSeconds(30));
        Assert.Equal((OrderStatus.Cancelled, "timeout"), (change.Order.Status, change.Order.CancellationReason));
        Assert.Equal([new TimelineStep("cancelled", "timeout: still pending after 00:00:30")], change.Timeline);
        var cancelled = Assert.IsType<OrderCancelled>(Assert.Single(change.Events));
        Assert.Equal(("timeout", false), (cancelled.Reason, cancelled.WasConfirmed));
    }

    [Theory]
    [InlineData(OrderStatus.Confirmed)]
    [InlineData(OrderStatus.Cancelled)]
    public void A_settled_order_does_not_time_out(OrderStatus settled)
    {
        var order = AnOrder(settled);
        var change = order.TimeOut(TimeSpan.FromSeconds(30));
        Assert.Equal(order, change.Order);
        Assert.Empty(change.Timeline);
        Assert.Empty(change.Events);
    }
}
