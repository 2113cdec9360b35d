using Checkout.Contracts;
using Checkout.Contracts.Orders.V1;

namespace Checkout.Services.Tests.Orders;

/// <summary>
/// Orders run by the app host's model, with its database on the fixture's own PostgreSQL, the embedded broker, and a
/// fake Catalog in place of the real one (not run: services__catalog__grpc__0 points Orders at the fake).
/// <see cref="ServiceFixture.InstanceCount"/> instances share the database and consumer group.
/// </summary>
public class OrdersFixture() : ServiceFixture(ServiceNames.Orders, DatabaseNames.Orders, usesBroker: true)
{
    protected virtual TimeSpan SagaTimeout => TimeSpan.FromMinutes(10);

    protected override IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["services__catalog__grpc__0"] = Catalog.Address.ToString().TrimEnd('/'),
        ["Orders__SagaTimeout"] = SagaTimeout.ToString("c"),
        ["Orders__CatalogDeadline"] = "00:00:03",
    };

    public OrdersFakeCatalog Catalog { get; private set; } = null!;

    public override async ValueTask InitializeAsync()
    {
        // First: the services' environment is fixed when the app starts, and Orders needs the fake's address. A failed
        // start disposes the fixture, the fake with it.
        Catalog = await OrdersFakeCatalog.StartAsync(TestContext.Current.CancellationToken);
        await base.InitializeAsync();
    }

    public Checkout.Contracts.Orders.V1.Orders.OrdersClient Client => new(Channel);

    public Task<PlaceOrderResponse> PlaceAsync(PlaceOrderRequest request) => Client.PlaceOrderAsync(request, CallOptions()).ResponseAsync;
    public Task<Order> GetAsync(string orderId, string customerId = "") =>
        Client.GetOrderAsync(new GetOrderRequest { OrderId = orderId, CustomerId = customerId }, CallOptions()).ResponseAsync;
    public Task<ListOrdersResponse> ListAsync(ListOrdersRequest request) => Client.ListOrdersAsync(request, CallOptions()).ResponseAsync;
    public Task<Order> CancelAsync(CancelOrderRequest request) => Client.CancelOrderAsync(request, CallOptions()).ResponseAsync;

    /// <summary>A valid request of a new customer with one line of each <paramref name="lines"/>.</summary>
    public static PlaceOrderRequest NewRequest(params (string Sku, int Quantity)[] lines)
    {
        var request = new PlaceOrderRequest
        {
            CustomerId = "customer-" + Guid.NewGuid().ToString("N")[..12],
            PaymentToken = "tok_visa",
            IdempotencyKey = Guid.NewGuid().ToString(),
        };
        request.Lines.AddRange((lines.Length == 0 ? [("SKU-1", 2), ("SKU-2", 1)] : lines)
            .Select(line => new OrderLineRequest { Sku = line.Sku, Quantity = line.Quantity }));
        return request;
    }

    /// <summary>Waits (bounded) until the order reaches <paramref name="status"/>.</summary>
    public async Task<Order> WaitForStatusAsync(string orderId, OrderStatus status)
    {
        Order order = null!;
        await Eventually.UntilAsync(async () => (order = await GetAsync(orderId)).Status == status, $"order {orderId} is {status}");
        return order;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Catalog is not null)
            await Catalog.DisposeAsync();
        Catalog = null!;
    }
}

/// <summary>Orders with a 2 s saga timeout, run as two instances sharing one database: the sweep must not cancel twice.</summary>
public sealed class OrdersShortTimeoutFixture : OrdersFixture
{
    protected override TimeSpan SagaTimeout => TimeSpan.FromSeconds(2);
    protected override int InstanceCount => 2;
}
