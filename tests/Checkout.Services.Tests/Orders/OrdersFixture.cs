using Checkout.Contracts.Orders.V1;
using Checkout.Services.Tests.Hosting;
using Checkout.ServiceDefaults.Grpc;
using Npgsql;

namespace Checkout.Services.Tests.Orders;

/// <summary>
/// Orders as a real process on a real port, with its own database on an embedded PostgreSQL cluster, the embedded
/// broker, and a fake Catalog. <see cref="Instances"/> processes share the database and consumer group.
/// </summary>
public class OrdersFixture : IAsyncLifetime
{
    private readonly List<ServiceProcess> processes = [];

    protected virtual TimeSpan SagaTimeout => TimeSpan.FromMinutes(10);
    protected virtual int Instances => 1;

    public ServiceTestBed TestBed { get; private set; } = null!;
    public OrdersFakeCatalog Catalog { get; private set; } = null!;
    public string ConnectionString { get; private set; } = null!;
    public ServiceProcess Orders => processes[0];
    public IReadOnlyList<ServiceProcess> AllInstances => processes;
    public EventLog Events => TestBed.Events;

    public async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        TestBed = await ServiceTestBed.StartAsync(cancellationToken);
        Catalog = await OrdersFakeCatalog.StartAsync(cancellationToken);
        ConnectionString = await TestBed.CreateDatabaseAsync("ordersdb", cancellationToken);
        var environment = TestBed.Environment("ordersdb", ConnectionString);
        environment["services__catalog__http__0"] = Catalog.Address.ToString().TrimEnd('/');
        environment["Orders__SagaTimeout"] = SagaTimeout.ToString("c");
        environment["Orders__CatalogDeadline"] = "00:00:03";
        for (var i = 0; i < Instances; i++)
            processes.Add(await ServiceProcess.StartAsync("Orders", environment, cancellationToken));
    }

    public Task<PlaceOrderResponse> PlaceAsync(PlaceOrderRequest request) => Orders.Client.UnaryAsync(OrdersMethods.PlaceOrder, request, Call());
    public Task<Order> GetAsync(string orderId, string customerId = "") =>
        Orders.Client.UnaryAsync(OrdersMethods.GetOrder, new GetOrderRequest { OrderId = orderId, CustomerId = customerId }, Call());
    public Task<ListOrdersResponse> ListAsync(ListOrdersRequest request) => Orders.Client.UnaryAsync(OrdersMethods.ListOrders, request, Call());
    public Task<Order> CancelAsync(CancelOrderRequest request) => Orders.Client.UnaryAsync(OrdersMethods.CancelOrder, request, Call());

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

    public async Task<long> CountAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static CallOptions Call() => new(deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        foreach (var process in processes)
            await process.DisposeAsync();
        if (Catalog is not null)
            await Catalog.DisposeAsync();
        if (TestBed is not null)
            await TestBed.DisposeAsync();
    }
}

/// <summary>Orders with a 2 s saga timeout, run as two instances sharing one database: the sweep must not cancel twice.</summary>
public sealed class OrdersShortTimeoutFixture : OrdersFixture
{
    protected override TimeSpan SagaTimeout => TimeSpan.FromSeconds(2);
    protected override int Instances => 2;
}

public static class OrdersMethods
{
    private static readonly Google.Protobuf.Reflection.ServiceDescriptor Service = OrdersReflection.Descriptor.FindService("Orders");
    public static readonly Method<PlaceOrderRequest, PlaceOrderResponse> PlaceOrder = Method.FromDescriptor<PlaceOrderRequest, PlaceOrderResponse>(Service.FindMethodByName("PlaceOrder"));
    public static readonly Method<GetOrderRequest, Order> GetOrder = Method.FromDescriptor<GetOrderRequest, Order>(Service.FindMethodByName("GetOrder"));
    public static readonly Method<ListOrdersRequest, ListOrdersResponse> ListOrders = Method.FromDescriptor<ListOrdersRequest, ListOrdersResponse>(Service.FindMethodByName("ListOrders"));
    public static readonly Method<CancelOrderRequest, Order> CancelOrder = Method.FromDescriptor<CancelOrderRequest, Order>(Service.FindMethodByName("CancelOrder"));
}
