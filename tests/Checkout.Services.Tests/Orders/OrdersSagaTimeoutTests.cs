using Checkout.Contracts.Events.V1;
using Checkout.Contracts.Orders.V1;

namespace Checkout.Services.Tests.Orders;

/// <summary>The timeout sweep, with a 2 s saga timeout and two Orders instances sweeping the same database.</summary>
public sealed class OrdersSagaTimeoutTests(OrdersShortTimeoutFixture fixture) : IClassFixture<OrdersShortTimeoutFixture>
{
    [Fact]
    public async Task Orders_still_pending_after_the_timeout_are_cancelled_once_and_settled_ones_are_left_alone()
    {
        var pending = new List<string>();
        for (var i = 0; i < 6; i++)
            pending.Add((await fixture.PlaceAsync(OrdersFixture.NewRequest())).OrderId);
        // Cancelled by its customer at once, racing the sweep: whichever wins, the order is cancelled once.
        var settled = (await fixture.PlaceAsync(OrdersFixture.NewRequest())).OrderId;
        await fixture.CancelAsync(new CancelOrderRequest { OrderId = settled });

        foreach (var orderId in pending)
        {
            var order = await fixture.WaitForStatusAsync(orderId, OrderStatus.Cancelled);
            Assert.Equal("timeout", order.CancellationReason);
            Assert.Equal("cancelled", order.Timeline[^1].Step);
            Assert.Equal("timeout", (await fixture.Events.WaitForAsync<OrderCancelled>(orderId)).Reason);
        }

        // Both instances swept meanwhile: each order was cancelled by exactly one of them.
        var keys = string.Join(", ", pending.Select(id => $"'{id}'"));
        Assert.Equal(pending.Count, await fixture.CountAsync($"SELECT count(*) FROM order_timeline WHERE step = 'cancelled' AND order_id IN ({keys})"));
        Assert.Equal(2 * pending.Count, await fixture.CountAsync($"SELECT count(*) FROM messaging.outbox WHERE message_key IN ({keys})"));
        Assert.Equal(1, await fixture.CountAsync($"SELECT count(*) FROM order_timeline WHERE step = 'cancelled' AND order_id = '{settled}'"));
        Assert.Equal(2, await fixture.OutboxEventsAsync(settled));
    }
}
