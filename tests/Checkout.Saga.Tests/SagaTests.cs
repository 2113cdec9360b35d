using Checkout.Contracts;
using Checkout.Contracts.Orders.V1;
using Checkout.Contracts.Payments.V1;
using Grpc.Core;

namespace Checkout.Saga.Tests;

/// <summary>
/// The checkout saga end to end: five services as real processes run by the app host's model, driven over gRPC,
/// talking through the embedded broker, each with its own database. Every test ends with the reconciliation of the books.
/// </summary>
[Collection(SagaCollection.Name)]
public sealed class SagaTests(SagaFixture fixture)
{
    [Fact]
    public async Task An_order_with_stock_and_a_good_card_is_confirmed_charged_once_and_notified_once()
    {
        var customer = SagaFixture.NewCustomer("happy");
        await EnsureAvailableAsync("SKU-1001", 1);
        await EnsureAvailableAsync("SKU-1002", 2);
        var before1001 = await fixture.StockAsync("SKU-1001");
        var before1002 = await fixture.StockAsync("SKU-1002");

        var placed = await fixture.PlaceAsync(customer, "tok_visa", ("SKU-1001", 1), ("SKU-1002", 2));
        Assert.True(placed.Created);
        Assert.Equal(OrderStatus.Pending, placed.Status);
        var order = await fixture.WaitForTerminalAsync(placed.OrderId);

        Assert.Equal(OrderStatus.Confirmed, order.Status);
        Assert.Equal(order.Lines.Sum(line => line.LineTotalMinor), order.TotalMinor);
        Assert.Equal(["placed", "confirmed"], order.Timeline.Select(entry => entry.Step).Where(step => step is "placed" or "confirmed"));
        // Inventory sells the reservation when OrderConfirmed reaches it, just after Orders confirms.
        var after1001 = await fixture.SettledStockAsync("SKU-1001");
        var after1002 = await fixture.SettledStockAsync("SKU-1002");
        Assert.Equal((before1001.Available - 1, before1001.Sold + 1), (after1001.Available, after1001.Sold));
        Assert.Equal((before1002.Available - 2, before1002.Sold + 2), (after1002.Available, after1002.Sold));
        var payment = await fixture.Client.GetPaymentAsync(placed.OrderId, TestContext.Current.CancellationToken);
        Assert.Equal((PaymentStatus.Captured, order.TotalMinor, 1, 0L), (payment.Status, payment.AmountMinor, payment.Attempts, payment.RefundedMinor));
        var notifications = await Eventually.UntilAsync(
            () => fixture.NotificationsAsync(customer, placed.OrderId), found => found.Count > 0, found => "no notification yet");
        Assert.Equal("order-confirmed", Assert.Single(notifications).Kind);

        await fixture.ReconcileAsync([placed.OrderId]);
    }

    [Fact]
    public async Task One_checkout_is_one_trace_through_every_event_the_services_publish()
    {
        await EnsureAvailableAsync("SKU-1012", 1);
        var placed = await fixture.PlaceAsync(SagaFixture.NewCustomer("traced"), "tok_visa", ("SKU-1012", 1));
        Assert.Equal(OrderStatus.Confirmed, (await fixture.WaitForTerminalAsync(placed.OrderId)).Status);

        // Each outbox row keeps the traceparent of the span that wrote it (PlaceOrder's, or the consumer span of the
        // event that caused it): W3C "00-<trace id>-<span id>-<flags>".
        var written = new List<(string Service, string Type, string TraceParent)>();
        foreach (var service in new[] { ServiceNames.Orders, ServiceNames.Inventory, ServiceNames.Payments })
        {
            await using var connection = new Npgsql.NpgsqlConnection(await fixture.DatabaseConnectionStringAsync(service));
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var command = new Npgsql.NpgsqlCommand(
                "SELECT envelope, traceparent FROM messaging.outbox WHERE message_key = @key ORDER BY sequence", connection);
            command.Parameters.AddWithValue("key", placed.OrderId);
            await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                var type = Checkout.Contracts.Messaging.V1.Envelope.Parser.ParseFrom((byte[])reader[0]).Type;
                written.Add((service, type[(type.LastIndexOf('.') + 1)..], reader.IsDBNull(1) ? "" : reader.GetString(1)));
            }
        }

        Assert.Equal(["orders OrderPlaced", "orders OrderConfirmed", "inventory InventoryReserved", "payments PaymentSucceeded"],
            written.Select(row => $"{row.Service} {row.Type}"));
        Assert.All(written, row => Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$", row.TraceParent));
        Assert.Single(written.Select(row => row.TraceParent.Split('-')[1]).Distinct());
        await fixture.ReconcileAsync([placed.OrderId]);
    }

    [Fact]
    public async Task An_order_a_line_of_which_is_out_of_stock_is_cancelled_with_nothing_reserved_or_charged()
    {
        var customer = SagaFixture.NewCustomer("out-of-stock");
        var drained = await fixture.SetAvailableAsync("SKU-1003", 2);
        await EnsureAvailableAsync("SKU-1004", 1);
        var before1004 = await fixture.StockAsync("SKU-1004");

        var placed = await fixture.PlaceAsync(customer, "tok_visa", ("SKU-1004", 1), ("SKU-1003", 3));
        var order = await fixture.WaitForTerminalAsync(placed.OrderId);

        Assert.Equal(OrderStatus.Cancelled, order.Status);
        Assert.StartsWith("out of stock", order.CancellationReason, StringComparison.Ordinal);
        Assert.Contains("SKU-1003", order.CancellationReason, StringComparison.Ordinal);
        // All or nothing: the line that had stock was not reserved either.
        Assert.Equal(before1004.Available, (await fixture.StockAsync("SKU-1004")).Available);
        Assert.Equal(2, (await fixture.StockAsync("SKU-1003")).Available);
        var payment = await Eventually.UntilAsync(
            () => fixture.PaymentOrNullAsync(placed.OrderId), found => found is { Status: not PaymentStatus.Pending }, found => $"payment: {found}");
        Assert.Equal(PaymentStatus.Voided, payment!.Status);

        await fixture.ReconcileAsync([placed.OrderId, .. drained]);
    }

    [Fact]
    public async Task A_declined_card_cancels_the_order_and_releases_its_reservation()
    {
        var customer = SagaFixture.NewCustomer("declined");
        await EnsureAvailableAsync("SKU-1005", 2);
        var before = await fixture.StockAsync("SKU-1005");

        var placed = await fixture.PlaceAsync(customer, "tok_decline", ("SKU-1005", 2));
        var order = await fixture.WaitForTerminalAsync(placed.OrderId);

        Assert.Equal(OrderStatus.Cancelled, order.Status);
        Assert.Contains("declined", order.CancellationReason, StringComparison.Ordinal);
        var payment = await fixture.Client.GetPaymentAsync(placed.OrderId, TestContext.Current.CancellationToken);
        Assert.Equal(PaymentStatus.Failed, payment.Status);
        Assert.Contains("declined", payment.FailureReason, StringComparison.Ordinal);
        var after = await Eventually.UntilAsync(
            () => fixture.StockAsync("SKU-1005"), level => level.Reserved == before.Reserved, level => $"stock: {level}");
        Assert.Equal((before.Available, before.Sold), (after.Available, after.Sold));

        await fixture.ReconcileAsync([placed.OrderId]);
    }

    [Fact]
    public async Task Transient_provider_failures_are_retried_into_one_capture()
    {
        var customer = SagaFixture.NewCustomer("flaky");
        await EnsureAvailableAsync("SKU-1006", 1);

        var placed = await fixture.PlaceAsync(customer, "tok_flaky", ("SKU-1006", 1));
        var order = await fixture.WaitForTerminalAsync(placed.OrderId);

        Assert.Equal(OrderStatus.Confirmed, order.Status);
        var payment = await fixture.Client.GetPaymentAsync(placed.OrderId, TestContext.Current.CancellationToken);
        Assert.Equal(PaymentStatus.Captured, payment.Status);
        Assert.Equal(order.TotalMinor, payment.AmountMinor);
        // tok_flaky fails twice per order, then succeeds: the third call captured.
        Assert.Equal(3, payment.Attempts);

        await fixture.ReconcileAsync([placed.OrderId]);
    }

    [Fact]
    public async Task A_customer_who_cancels_a_confirmed_order_is_refunded_and_the_stock_is_available_again()
    {
        var customer = SagaFixture.NewCustomer("cancel");
        await EnsureAvailableAsync("SKU-1007", 1);
        var before = await fixture.StockAsync("SKU-1007");
        var placed = await fixture.PlaceAsync(customer, "tok_visa", ("SKU-1007", 1));
        Assert.Equal(OrderStatus.Confirmed, (await fixture.WaitForTerminalAsync(placed.OrderId)).Status);

        var cancelled = await fixture.Client.CancelOrderAsync(
            new CancelOrderRequest { OrderId = placed.OrderId, CustomerId = customer }, TestContext.Current.CancellationToken);

        Assert.Equal(OrderStatus.Cancelled, cancelled.Status);
        Assert.Equal("cancelled by customer", cancelled.CancellationReason);
        var payment = await Eventually.UntilAsync(
            () => fixture.Client.GetPaymentAsync(placed.OrderId, TestContext.Current.CancellationToken),
            found => found.Status == PaymentStatus.Refunded, found => $"payment not refunded: {found}");
        Assert.Equal(payment.AmountMinor, payment.RefundedMinor);
        var after = await Eventually.UntilAsync(
            () => fixture.StockAsync("SKU-1007"), level => level.Available == before.Available, level => $"stock not back: {level}");
        Assert.Equal((before.Reserved, before.Sold), (after.Reserved, after.Sold));
        var notifications = await Eventually.UntilAsync(
            () => fixture.NotificationsAsync(customer, placed.OrderId), found => found.Count == 2, found => $"{found.Count} notification(s)");
        Assert.Equal(["order-cancelled", "order-confirmed"], notifications.Select(notification => notification.Kind).Order());

        await fixture.ReconcileAsync([placed.OrderId]);
    }

    [Fact]
    public async Task An_order_stuck_behind_a_service_that_stays_down_times_out_and_is_compensated_when_it_returns()
    {
        var customer = SagaFixture.NewCustomer("timeout");
        await EnsureAvailableAsync("SKU-1008", 1);
        var before = await fixture.StockAsync("SKU-1008");
        string orderId;
        // Stopped through the app model, as the dashboard's Stop does: the process ends, its endpoints stay where they are.
        await fixture.App.StopAsync(ServiceNames.Payments, TestContext.Current.CancellationToken);
        try
        {
            var placed = await fixture.PlaceAsync(customer, "tok_visa", ("SKU-1008", 1));
            orderId = placed.OrderId;
            var order = await fixture.WaitForTerminalAsync(orderId, SagaFixture.SagaTimeout + Eventually.DefaultDeadline);

            Assert.Equal(OrderStatus.Cancelled, order.Status);
            Assert.Equal("timeout", order.CancellationReason);
        }
        finally
        {
            await fixture.App.StartAsync(ServiceNames.Payments, TestContext.Current.CancellationToken);
        }

        // Payments now reads what it missed: whichever order it sees the events in, nothing stays charged.
        var payment = await Eventually.UntilAsync(
            () => fixture.PaymentOrNullAsync(orderId),
            found => found is { Status: PaymentStatus.Voided or PaymentStatus.Refunded },
            found => $"payment not compensated: {found}");
        Assert.Equal(payment!.Status == PaymentStatus.Refunded ? payment.AmountMinor : 0, payment.RefundedMinor);
        Assert.Equal(OrderStatus.Cancelled, (await fixture.Client.GetOrderAsync(orderId, TestContext.Current.CancellationToken)).Status);
        var after = await Eventually.UntilAsync(
            () => fixture.StockAsync("SKU-1008"), level => level.Available == before.Available, level => $"stock not released: {level}");
        Assert.Equal((before.Reserved, before.Sold), (after.Reserved, after.Sold));

        await fixture.ReconcileAsync([orderId]);
    }

    [Fact]
    public async Task The_same_idempotency_key_sent_twice_at_once_makes_one_order()
    {
        var customer = SagaFixture.NewCustomer("idempotent");
        await EnsureAvailableAsync("SKU-1009", 1);
        var request = SagaFixture.NewOrder(customer, "tok_visa", ("SKU-1009", 1));

        var answers = await Task.WhenAll(
            fixture.Client.PlaceOrderAsync(request, TestContext.Current.CancellationToken),
            fixture.Client.PlaceOrderAsync(request, TestContext.Current.CancellationToken));

        Assert.Equal(answers[0].OrderId, answers[1].OrderId);
        Assert.Single(answers, answer => answer.Created);
        var listed = await fixture.Client.ListOrdersAsync(new ListOrdersRequest { CustomerId = customer }, TestContext.Current.CancellationToken);
        Assert.Equal(answers[0].OrderId, Assert.Single(listed.Orders).OrderId);
        var different = request.Clone();
        different.Lines[0].Quantity = 2;
        var conflict = await Assert.ThrowsAsync<RpcException>(
            () => fixture.Client.PlaceOrderAsync(different, TestContext.Current.CancellationToken));
        Assert.Equal(StatusCode.AlreadyExists, conflict.StatusCode);
        Assert.Equal(OrderStatus.Confirmed, (await fixture.WaitForTerminalAsync(answers[0].OrderId)).Status);

        await fixture.ReconcileAsync([answers[0].OrderId]);
    }

    [Fact]
    public async Task Three_hundred_orders_racing_for_fifty_units_confirm_exactly_fifty_and_oversell_none()
    {
        const string sku = "SKU-1010";
        const int units = 50, orders = 300;
        var drained = await fixture.SetAvailableAsync(sku, units);
        var before = await fixture.StockAsync(sku);
        var customer = SagaFixture.NewCustomer("race");

        var placed = await Task.WhenAll(Enumerable.Range(0, orders).Select(_ => fixture.PlaceRetryingAsync(SagaFixture.NewOrder(customer, "tok_visa", (sku, 1)))));
        Assert.Equal(orders, placed.Select(order => order.OrderId).Distinct().Count());
        var settled = await Task.WhenAll(placed.Select(order => fixture.WaitForTerminalAsync(order.OrderId, TimeSpan.FromSeconds(120))));

        Assert.Equal(units, settled.Count(order => order.Status == OrderStatus.Confirmed));
        Assert.All(settled.Where(order => order.Status == OrderStatus.Cancelled),
            order => Assert.StartsWith("out of stock", order.CancellationReason, StringComparison.Ordinal));
        // Orders settles first; Inventory sells the confirmed reservations when their OrderConfirmed reaches it.
        var after = await fixture.SettledStockAsync(sku);
        Assert.Equal((0L, 0L, before.Sold + units), (after.Available, after.Reserved, after.Sold));

        await fixture.ReconcileAsync([.. placed.Select(order => order.OrderId), .. drained]);
    }

    [Fact]
    public async Task PlaceOrder_answers_unavailable_and_stores_nothing_while_Catalog_is_down()
    {
        var customer = SagaFixture.NewCustomer("catalog-down");
        await EnsureAvailableAsync("SKU-1012", 1);
        await fixture.App.StopAsync(ServiceNames.Catalog, TestContext.Current.CancellationToken);
        try
        {
            var failure = await Assert.ThrowsAsync<RpcException>(
                () => fixture.PlaceAsync(customer, "tok_visa", ("SKU-1012", 1)));
            Assert.Equal(StatusCode.Unavailable, failure.StatusCode);
            Assert.Empty((await fixture.Client.ListOrdersAsync(new ListOrdersRequest { CustomerId = customer }, TestContext.Current.CancellationToken)).Orders);
        }
        finally
        {
            await fixture.App.StartAsync(ServiceNames.Catalog, TestContext.Current.CancellationToken);
        }

        var placed = await fixture.PlaceAsync(customer, "tok_visa", ("SKU-1012", 1));
        Assert.Equal(OrderStatus.Confirmed, (await fixture.WaitForTerminalAsync(placed.OrderId)).Status);

        await fixture.ReconcileAsync([placed.OrderId]);
    }

    private async Task EnsureAvailableAsync(string sku, int units)
    {
        var available = (await fixture.StockAsync(sku)).Available;
        if (available < units)
        {
            await fixture.RestockAsync(sku, (int)(units - available));
        }
    }
}
