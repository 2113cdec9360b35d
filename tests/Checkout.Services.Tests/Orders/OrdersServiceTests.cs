using Checkout.Contracts.Events.V1;
using Checkout.Contracts.Orders.V1;
using Grpc.Core;

namespace Checkout.Services.Tests.Orders;

/// <summary>Orders as a process, driven over gRPC and Kafka, against a fake Catalog.</summary>
public sealed class OrdersServiceTests(OrdersFixture fixture) : IClassFixture<OrdersFixture>
{
    private const string NothingStored = "SELECT (SELECT count(*) FROM orders) + (SELECT count(*) FROM idempotency_keys) + (SELECT count(*) FROM messaging.outbox)";

    public static TheoryData<string, Action<PlaceOrderRequest>, StatusCode, string> InvalidRequests => new()
    {
        { "no lines", r => r.Lines.Clear(), StatusCode.InvalidArgument, "lines must hold 1 to 50 lines" },
        { "zero quantity", r => r.Lines[1].Quantity = 0, StatusCode.InvalidArgument, "lines[1].quantity must be between 1 and 1000" },
        { "negative quantity", r => r.Lines[0].Quantity = -3, StatusCode.InvalidArgument, "lines[0].quantity must be between 1 and 1000" },
        { "huge quantity", r => r.Lines[0].Quantity = int.MaxValue, StatusCode.InvalidArgument, "lines[0].quantity must be between 1 and 1000" },
        { "duplicate SKU", r => r.Lines[1].Sku = "SKU-1", StatusCode.InvalidArgument, "lines[1].sku SKU-1 appears more than once" },
        { "too many lines", r => r.Lines.AddRange(Enumerable.Range(0, 49).Select(i => new OrderLineRequest { Sku = $"X-{i}", Quantity = 1 })), StatusCode.InvalidArgument, "lines must hold 1 to 50 lines (got 51)" },
        { "malformed SKU", r => r.Lines[0].Sku = "sku 1", StatusCode.InvalidArgument, "lines[0].sku must be 1 to 32 characters" },
        { "missing token", r => r.PaymentToken = "", StatusCode.InvalidArgument, "payment_token is required" },
        { "missing idempotency key", r => r.IdempotencyKey = "", StatusCode.InvalidArgument, "idempotency_key is required" },
        { "malformed customer", r => r.CustomerId = "bob smith", StatusCode.InvalidArgument, "customer_id must be 1 to 64 characters" },
        { "unknown SKUs", r => { r.Lines[0].Sku = "NOPE-1"; r.Lines[1].Sku = "NOPE-2"; }, StatusCode.NotFound, "unknown SKU(s): NOPE-1, NOPE-2" },
        { "mixed currencies", r => r.Lines[1].Sku = "SKU-USD", StatusCode.InvalidArgument, "several currencies (EUR, USD)" },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task A_bad_request_is_refused_with_a_message_naming_the_problem_and_stores_nothing(
        string @case, Action<PlaceOrderRequest> spoil, StatusCode expected, string message)
    {
        var stored = await fixture.CountAsync(NothingStored);
        var request = OrdersFixture.NewRequest();
        spoil(request);

        var error = await Assert.ThrowsAsync<RpcException>(() => fixture.PlaceAsync(request));

        Assert.Equal(expected, error.StatusCode);
        Assert.Contains(message, error.Status.Detail);
        Assert.Equal(stored, await fixture.CountAsync(NothingStored));
        Assert.NotEmpty(@case);
    }

    [Fact]
    public async Task Malformed_and_unknown_order_ids_are_INVALID_ARGUMENT_and_NOT_FOUND()
    {
        var malformed = await Assert.ThrowsAsync<RpcException>(() => fixture.GetAsync("not-a-uuid"));
        Assert.Equal(StatusCode.InvalidArgument, malformed.StatusCode);
        Assert.Contains("order_id must be a UUID", malformed.Status.Detail);

        var unknown = await Assert.ThrowsAsync<RpcException>(() => fixture.GetAsync(Guid.CreateVersion7().ToString()));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task PlaceOrder_prices_through_Catalog_stores_a_pending_order_and_emits_OrderPlaced()
    {
        var request = OrdersFixture.NewRequest(("SKU-1", 2), ("SKU-2", 1));

        var placed = await fixture.PlaceAsync(request);

        Assert.True(placed.Created);
        Assert.Equal(OrderStatus.Pending, placed.Status);
        var order = await fixture.GetAsync(placed.OrderId, request.CustomerId);
        Assert.Equal(2 * 1250 + 899, order.TotalMinor);
        Assert.Equal("EUR", order.Currency);
        Assert.Equal(["SKU-1", "SKU-2"], order.Lines.Select(l => l.Sku));
        Assert.Equal("Espresso cup", order.Lines[0].Name);
        Assert.Equal(2500, order.Lines[0].LineTotalMinor);
        Assert.Equal("placed", Assert.Single(order.Timeline).Step);

        var @event = await fixture.Events.WaitForAsync<OrderPlaced>(placed.OrderId);
        Assert.Equal(request.CustomerId, @event.CustomerId);
        Assert.Equal("tok_visa", @event.PaymentToken);
        Assert.Equal(order.TotalMinor, @event.TotalMinor);
        Assert.Equal([("SKU-1", 2, 1250L), ("SKU-2", 1, 899L)], @event.Lines.Select(l => (l.Sku, l.Quantity, l.UnitPriceMinor)));

        var someoneElse = await Assert.ThrowsAsync<RpcException>(() => fixture.GetAsync(placed.OrderId, "another-customer"));
        Assert.Equal(StatusCode.NotFound, someoneElse.StatusCode);
    }

    [Fact]
    public async Task The_same_idempotency_key_sent_concurrently_places_one_order_and_a_different_body_is_ALREADY_EXISTS()
    {
        var request = OrdersFixture.NewRequest();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => fixture.PlaceAsync(request.Clone())));

        var orderId = Assert.Single(responses.Select(r => r.OrderId).Distinct());
        Assert.Single(responses, r => r.Created);
        Assert.Equal(1, await fixture.CountAsync($"SELECT count(*) FROM orders WHERE customer_id = '{request.CustomerId}'"));
        await fixture.Events.WaitForAsync<OrderPlaced>(orderId);
        Assert.Equal(1, await fixture.OutboxEventsAsync(orderId));

        var changed = request.Clone();
        changed.Lines[0].Quantity += 1;
        var conflict = await Assert.ThrowsAsync<RpcException>(() => fixture.PlaceAsync(changed));
        Assert.Equal(StatusCode.AlreadyExists, conflict.StatusCode);
        Assert.Equal("idempotency key already used with a different request", conflict.Status.Detail);
    }

    [Fact]
    public async Task Catalog_down_is_UNAVAILABLE_and_nothing_is_stored_until_it_is_back()
    {
        var stored = await fixture.CountAsync(NothingStored);
        var request = OrdersFixture.NewRequest();
        fixture.Catalog.Down = true;
        try
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => fixture.PlaceAsync(request));
            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
            Assert.Equal("catalog is unavailable, try again", error.Status.Detail);
            Assert.Equal(stored, await fixture.CountAsync(NothingStored));
        }
        finally
        {
            fixture.Catalog.Down = false;
        }

        var retried = await fixture.PlaceAsync(request);
        Assert.True(retried.Created);
    }

    [Fact]
    public async Task Reserved_then_paid_confirms_once_and_late_or_duplicate_events_only_add_to_the_timeline()
    {
        var (orderId, _) = await PlaceAsync();
        await fixture.Events.PublishAsync("inventory", orderId, Reserved(orderId));
        await WaitForTimelineAsync(orderId, 2);
        await fixture.Events.PublishAsync("payments", orderId, Paid(orderId));
        await fixture.WaitForStatusAsync(orderId, OrderStatus.Confirmed);
        var confirmed = await fixture.Events.WaitForAsync<OrderConfirmed>(orderId);
        Assert.Equal(3399, confirmed.TotalMinor);

        // A redelivered payment (new message id, as a republishing producer would send) and a late rejection.
        await fixture.Events.PublishAsync("payments", orderId, Paid(orderId));
        await WaitForTimelineAsync(orderId, 5);
        await fixture.Events.PublishAsync("inventory", orderId, Rejected(orderId));
        var order = await WaitForTimelineAsync(orderId, 6);

        Assert.Equal(OrderStatus.Confirmed, order.Status);
        Assert.Equal(["placed", "inventory-reserved", "payment-succeeded", "confirmed", "payment-succeeded", "inventory-rejected"],
            order.Timeline.Select(e => e.Step));
        Assert.Contains("ignored: order already confirmed", order.Timeline[5].Detail);
        Assert.Single(fixture.Events.All<OrderConfirmed>(orderId));
        // OrderPlaced and OrderConfirmed only; the late events' timeline entries commit with anything they would emit.
        Assert.Equal(2, await fixture.OutboxEventsAsync(orderId));
    }

    [Fact]
    public async Task Payment_before_the_reservation_still_confirms()
    {
        var (orderId, _) = await PlaceAsync();
        await fixture.Events.PublishAsync("payments", orderId, Paid(orderId));
        await fixture.WaitForStatusAsync(orderId, OrderStatus.Confirmed);
        await fixture.Events.PublishAsync("inventory", orderId, Reserved(orderId));

        var order = await WaitForTimelineAsync(orderId, 4);
        Assert.Equal(OrderStatus.Confirmed, order.Status);
        // OrderPlaced and one OrderConfirmed: the late reservation's timeline entry commits with anything it would emit.
        Assert.Equal(2, await fixture.OutboxEventsAsync(orderId));
        await fixture.Events.WaitForAsync<OrderConfirmed>(orderId);
    }

    [Fact]
    public async Task Out_of_stock_cancels_with_the_shortage_and_a_late_payment_does_not_revive_the_order()
    {
        var (orderId, _) = await PlaceAsync();
        await fixture.Events.PublishAsync("inventory", orderId, Rejected(orderId));
        var order = await fixture.WaitForStatusAsync(orderId, OrderStatus.Cancelled);
        Assert.Equal("out of stock: SKU-1 (requested 3, available 1)", order.CancellationReason);
        var cancelled = await fixture.Events.WaitForAsync<OrderCancelled>(orderId);
        Assert.Equal("out of stock: SKU-1 (requested 3, available 1)", cancelled.Reason);
        Assert.False(cancelled.WasConfirmed);
        Assert.Equal(["SKU-1", "SKU-2"], cancelled.Lines.Select(l => l.Sku));

        await fixture.Events.PublishAsync("payments", orderId, Paid(orderId));
        order = await WaitForTimelineAsync(orderId, 4);
        Assert.Equal(OrderStatus.Cancelled, order.Status);
        // OrderPlaced and OrderCancelled only: the late payment's timeline entry commits with anything it would emit.
        Assert.Equal(2, await fixture.OutboxEventsAsync(orderId));
    }

    [Fact]
    public async Task A_declined_payment_cancels_the_order()
    {
        var (orderId, _) = await PlaceAsync();
        await fixture.Events.PublishAsync("inventory", orderId, Reserved(orderId));
        await fixture.Events.PublishAsync("payments", orderId, new PaymentFailed { OrderId = orderId, Reason = "card declined" });

        var order = await fixture.WaitForStatusAsync(orderId, OrderStatus.Cancelled);
        Assert.Equal("payment declined: card declined", order.CancellationReason);
        Assert.Equal("payment declined: card declined", (await fixture.Events.WaitForAsync<OrderCancelled>(orderId)).Reason);
    }

    [Fact]
    public async Task The_customer_cancels_a_confirmed_order_once_and_only_their_own()
    {
        var (orderId, customerId) = await PlaceAsync();
        await fixture.Events.PublishAsync("payments", orderId, Paid(orderId));
        await fixture.WaitForStatusAsync(orderId, OrderStatus.Confirmed);

        var stranger = await Assert.ThrowsAsync<RpcException>(() => fixture.CancelAsync(new CancelOrderRequest { OrderId = orderId, CustomerId = "someone-else" }));
        Assert.Equal(StatusCode.NotFound, stranger.StatusCode);

        var cancelled = await fixture.CancelAsync(new CancelOrderRequest { OrderId = orderId, CustomerId = customerId, Reason = "changed my mind" });
        Assert.Equal(OrderStatus.Cancelled, cancelled.Status);
        Assert.Equal("cancelled by customer", cancelled.CancellationReason);
        Assert.Equal("cancelled by customer: changed my mind", cancelled.Timeline[^1].Detail);
        var again = await fixture.CancelAsync(new CancelOrderRequest { OrderId = orderId });
        Assert.Equal(cancelled.Timeline.Count, again.Timeline.Count);

        var @event = await fixture.Events.WaitForAsync<OrderCancelled>(orderId);
        Assert.True(@event.WasConfirmed);
        // OrderPlaced, OrderConfirmed and one OrderCancelled.
        Assert.Equal(3, await fixture.OutboxEventsAsync(orderId));
    }

    [Fact]
    public async Task ListOrders_pages_a_customers_orders_newest_first()
    {
        var customer = OrdersFixture.NewRequest().CustomerId;
        var placed = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var request = OrdersFixture.NewRequest();
            request.CustomerId = customer;
            placed.Add((await fixture.PlaceAsync(request)).OrderId);
        }

        var seen = new List<string>();
        var pages = 0;
        var token = "";
        do
        {
            var page = await fixture.ListAsync(new ListOrdersRequest { CustomerId = customer, PageSize = 2, PageToken = token });
            Assert.True(page.Orders.Count <= 2);
            seen.AddRange(page.Orders.Select(o => o.OrderId));
            token = page.NextPageToken;
            pages++;
        }
        while (token.Length > 0);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Reverse(placed), seen);
        var tooLarge = await Assert.ThrowsAsync<RpcException>(() => fixture.ListAsync(new ListOrdersRequest { CustomerId = customer, PageSize = 101 }));
        Assert.Equal(StatusCode.InvalidArgument, tooLarge.StatusCode);
        var badToken = await Assert.ThrowsAsync<RpcException>(() => fixture.ListAsync(new ListOrdersRequest { CustomerId = customer, PageToken = "nonsense" }));
        Assert.Equal(StatusCode.InvalidArgument, badToken.StatusCode);
    }

    private async Task<(string OrderId, string CustomerId)> PlaceAsync()
    {
        var request = OrdersFixture.NewRequest(("SKU-1", 2), ("SKU-2", 1));
        return ((await fixture.PlaceAsync(request)).OrderId, request.CustomerId);
    }

    private async Task<Order> WaitForTimelineAsync(string orderId, int entries)
    {
        Order order = null!;
        await Eventually.UntilAsync(async () => (order = await fixture.GetAsync(orderId)).Timeline.Count >= entries, $"order {orderId} has {entries} timeline entries");
        return order;
    }

    private static InventoryReserved Reserved(string orderId) => new()
    {
        OrderId = orderId,
        Lines = { new EventLine { Sku = "SKU-1", Quantity = 2, UnitPriceMinor = 1250 }, new EventLine { Sku = "SKU-2", Quantity = 1, UnitPriceMinor = 899 } },
    };

    private static InventoryRejected Rejected(string orderId) => new()
    {
        OrderId = orderId,
        Shortages = { new StockShortage { Sku = "SKU-1", Requested = 3, Available = 1 } },
    };

    private static PaymentSucceeded Paid(string orderId) => new() { OrderId = orderId, AmountMinor = 3399, Currency = "EUR", ProviderReference = "ch_test" };
}
