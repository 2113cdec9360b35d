using Checkout.Contracts;
using Checkout.Contracts.Events.V1;
using Checkout.Contracts.Notifications.V1;
using Dapper;
using Grpc.Core;

namespace Checkout.Services.Tests;

/// <summary>Notifications with its database and the broker.</summary>
public sealed class NotificationsFixture() : ServiceFixture(ServiceNames.Notifications, DatabaseNames.Notifications, usesBroker: true)
{
    public Notifications.NotificationsClient Client => new(Channel);

    public Task<ListNotificationsResponse> ListAsync(string customerId, string orderId = "", int pageSize = 0, string pageToken = "") =>
        Client.ListNotificationsAsync(
            new ListNotificationsRequest { CustomerId = customerId, OrderId = orderId, PageSize = pageSize, PageToken = pageToken }, CallOptions()).ResponseAsync;

    public static OrderConfirmed Confirmed(string orderId, string customerId, long totalMinor = 12_345) =>
        new() { OrderId = orderId, CustomerId = customerId, TotalMinor = totalMinor, Currency = "EUR" };

    public static OrderCancelled Cancelled(string orderId, string customerId, string reason, bool wasConfirmed) =>
        new() { OrderId = orderId, CustomerId = customerId, Reason = reason, WasConfirmed = wasConfirmed };
}

[CollectionDefinition(nameof(NotificationsCollection))]
public sealed class NotificationsCollection : ICollectionFixture<NotificationsFixture>;

[Collection(nameof(NotificationsCollection))]
public sealed class NotificationsTests(NotificationsFixture notifications)
{
    private static string NewCustomer() => "customer-" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task A_confirmed_then_cancelled_order_gets_one_message_of_each_kind_newest_first()
    {
        var customer = NewCustomer();
        var order = Guid.NewGuid().ToString();

        var confirmed = await notifications.PublishOrderEventAsync(order, NotificationsFixture.Confirmed(order, customer, totalMinor: 12_345));
        var cancelled = await notifications.PublishOrderEventAsync(order, NotificationsFixture.Cancelled(order, customer, "cancelled by customer", wasConfirmed: true));
        await notifications.HandledAsync(confirmed, cancelled);
        var listed = (await notifications.ListAsync(customer)).Notifications;

        Assert.Equal(["order-cancelled", "order-confirmed"], listed.Select(n => n.Kind));
        Assert.All(listed, n => Assert.Equal((customer, order), (n.CustomerId, n.OrderId)));
        var (cancellation, confirmation) = (listed[0], listed[1]);
        Assert.Contains("is confirmed", confirmation.Subject);
        Assert.Contains("EUR 123.45", confirmation.Body);
        Assert.Contains("has been cancelled", cancellation.Subject);
        Assert.Contains("cancelled by customer", cancellation.Body);
        Assert.Contains("refunded", cancellation.Body);
        Assert.True(cancellation.SentAt.ToDateTime() >= confirmation.SentAt.ToDateTime());
        // The log line is read from the service's console (through the app model), which may lag behind the commit.
        await Eventually.UntilAsync(
            () => notifications.Output.Tail(500).Split(Environment.NewLine).Any(line => line.Contains(order) && line.Contains("order-confirmed")),
            "the service logs the e-mail it sent");
    }

    [Fact]
    public async Task An_order_cancelled_before_confirmation_is_told_it_was_not_charged()
    {
        var customer = NewCustomer();
        var order = Guid.NewGuid().ToString();

        await notifications.HandledAsync(await notifications.PublishOrderEventAsync(order, NotificationsFixture.Cancelled(order, customer, "out of stock", wasConfirmed: false)));
        var notification = Assert.Single((await notifications.ListAsync(customer, order)).Notifications);

        Assert.Contains("out of stock", notification.Body);
        Assert.Contains("not been charged", notification.Body);
    }

    [Fact]
    public async Task An_event_delivered_twice_or_repeated_sends_one_message_per_order_and_kind()
    {
        var customer = NewCustomer();
        var order = Guid.NewGuid().ToString();
        var confirmed = NotificationsFixture.Confirmed(order, customer);

        var first = await notifications.PublishOrderEventAsync(order, confirmed);
        await notifications.Events.PublishAsync("orders", order, first);   // the same message delivered again
        var repeated = await notifications.PublishOrderEventAsync(order, confirmed); // the same event in another message
        await notifications.HandledAsync(first, repeated);

        Assert.Single((await notifications.ListAsync(customer)).Notifications);
        await using var connection = await notifications.OpenDatabaseAsync();
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM notifications WHERE order_id = @order::uuid", new { order }));
    }

    [Fact]
    public async Task Pages_walk_a_customers_notifications_newest_first_and_order_id_narrows_them()
    {
        var customer = NewCustomer();
        var orders = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid().ToString()).ToList();
        var published = new List<Contracts.Messaging.V1.Envelope>();
        foreach (var order in orders)
            published.Add(await notifications.PublishOrderEventAsync(order, NotificationsFixture.Confirmed(order, customer)));
        await notifications.HandledAsync([.. published]);

        var seen = new List<Notification>();
        var token = "";
        var pages = 0;
        do
        {
            var page = await notifications.ListAsync(customer, pageSize: 2, pageToken: token);
            seen.AddRange(page.Notifications);
            token = page.NextPageToken;
            pages++;
        } while (token.Length > 0);
        var narrowed = await notifications.ListAsync(customer, orders[2]);
        var otherCustomer = await notifications.ListAsync(NewCustomer());

        Assert.Equal(3, pages);
        Assert.Equal(orders.Order(), seen.Select(n => n.OrderId).Order());
        await using var connection = await notifications.OpenDatabaseAsync();
        var newestFirst = await connection.QueryAsync<Guid>(
            "SELECT notification_id FROM notifications WHERE customer_id = @customer ORDER BY sequence DESC", new { customer });
        Assert.Equal(newestFirst.Select(id => id.ToString()), seen.Select(n => n.NotificationId));
        Assert.Equal(orders[2], Assert.Single(narrowed.Notifications).OrderId);
        Assert.Empty(otherCustomer.Notifications);
    }

    [Theory]
    [InlineData("", "", 0, "", "customer_id is required.")]
    [InlineData("bad customer!", "", 0, "", "customer_id must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', '@' and '-'.")]
    [InlineData("customer-1\n", "", 0, "", "customer_id must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', '@' and '-'.")]
    [InlineData("customer-1", "not-a-uuid", 0, "", "order_id must be a UUID.")]
    [InlineData("customer-1", "", 101, "", "page_size must be between 1 and 100 (0 means 20).")]
    [InlineData("customer-1", "", -1, "", "page_size must be between 1 and 100 (0 means 20).")]
    [InlineData("customer-1", "", 0, "garbage", "page_token is not a token this service issued.")]
    public async Task Listing_validates_its_request(string customerId, string orderId, int pageSize, string pageToken, string message)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => notifications.ListAsync(customerId, orderId, pageSize, pageToken));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(message, error.Status.Detail);
    }
}
