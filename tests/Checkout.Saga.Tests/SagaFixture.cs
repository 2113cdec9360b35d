using System.Collections.Concurrent;
using Checkout.Contracts;
using Checkout.Contracts.Inventory.V1;
using Checkout.Contracts.Notifications.V1;
using Checkout.Contracts.Orders.V1;
using Checkout.Contracts.Payments.V1;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Checkout.Saga.Tests;

[CollectionDefinition(Name)]
public sealed class SagaCollection : ICollectionFixture<SagaFixture>
{
    public const string Name = "saga";
}

/// <summary>
/// The whole system as Checkout.AppHost declares it, started once for the saga tests through Aspire.Hosting.Testing
/// (<see cref="CheckoutApp"/>): embedded PostgreSQL (a database per service), the embedded Kafka-protocol broker and
/// the services, Orders with a short saga timeout. Tests run one at a time and share it; each uses its own customers,
/// and every stock change goes through <see cref="RestockAsync"/> or orders, so the stock ledger (seed + restocks)
/// stays exact for the reconciliation. The services' console lines go to the running test's output.
/// </summary>
public sealed class SagaFixture : IAsyncLifetime
{
    /// <summary>Short enough for the timeout test, long enough that a loaded 2-core machine never hits it otherwise.</summary>
    public static readonly TimeSpan SagaTimeout = TimeSpan.FromSeconds(15);

    private readonly ILoggerFactory _loggers = LoggerFactory.Create(logging => logging.AddProvider(new TestOutputLoggerProvider()));
    private readonly ConcurrentDictionary<string, long> _everAdded = new(StringComparer.Ordinal);
    private ResourceLogForwarder? _serviceLogs;

    public CheckoutApp App { get; private set; } = null!;

    /// <summary>The five services' gRPC APIs, each call with a deadline.</summary>
    public CheckoutClient Client => App.Client;

    public async ValueTask InitializeAsync()
    {
        try
        {
            App = await CheckoutApp.StartAsync(
                new CheckoutAppOptions
                {
                    Environment = new Dictionary<string, IReadOnlyDictionary<string, string>>
                    {
                        [ServiceNames.Orders] = new Dictionary<string, string> { ["Orders__SagaTimeout"] = SagaTimeout.ToString("c") },
                    },
                    // A test stops Catalog: Orders must find it down, not slow (DCP's proxy would hold its connections
                    // until Catalog is back).
                    DirectEndpoints = [ServiceNames.Catalog],
                },
                TestContext.Current.CancellationToken);
            _serviceLogs = new ResourceLogForwarder(App, _loggers, CheckoutApp.Services.Where(service => service != ServiceNames.Gateway));
            // What the seed put in: the ledger's opening balance.
            foreach (var level in (await Client.GetStockAsync(new GetStockRequest(), TestContext.Current.CancellationToken)).Levels)
            {
                _everAdded[level.Sku] = level.Available + level.Reserved + level.Sold;
            }
        }
        catch
        {
            // xunit v3 does not dispose a fixture whose initialization failed.
            await DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_serviceLogs is not null)
        {
            await _serviceLogs.DisposeAsync();
        }

        if (App is not null)
        {
            await App.DisposeAsync();
        }

        _loggers.Dispose();
    }

    /// <summary>The connection string <paramref name="service"/> is given for its database.</summary>
    public Task<string> DatabaseConnectionStringAsync(string service) =>
        App.ConnectionStringAsync(service switch
        {
            ServiceNames.Catalog => DatabaseNames.Catalog,
            ServiceNames.Orders => DatabaseNames.Orders,
            ServiceNames.Inventory => DatabaseNames.Inventory,
            ServiceNames.Payments => DatabaseNames.Payments,
            ServiceNames.Notifications => DatabaseNames.Notifications,
            _ => throw new ArgumentOutOfRangeException(nameof(service), service, "no database of its own"),
        }, TestContext.Current.CancellationToken);

    /// <summary>A customer id no other test uses.</summary>
    public static string NewCustomer(string purpose) => $"{purpose}-{Guid.NewGuid():N}";

    /// <summary>The stock of <paramref name="sku"/> once nothing is reserved: every order on it has been settled by Inventory.</summary>
    public Task<StockLevel> SettledStockAsync(string sku) =>
        Eventually.UntilAsync(() => StockAsync(sku), stock => stock.Reserved == 0, stock => $"{sku} still has reserved units: {stock}");

    public async Task<StockLevel> StockAsync(string sku) =>
        (await Client.GetStockAsync(new GetStockRequest { Skus = { sku } }, TestContext.Current.CancellationToken)).Levels.Single();

    /// <summary>Adds units through Inventory.Restock and books them in the ledger.</summary>
    public async Task<StockLevel> RestockAsync(string sku, int quantity)
    {
        var level = await Client.RestockAsync(sku, quantity, TestContext.Current.CancellationToken);
        _everAdded.AddOrUpdate(sku, quantity, (_, added) => added + quantity);
        return level;
    }

    /// <summary>
    /// Brings <paramref name="sku"/>'s available stock to exactly <paramref name="target"/>: restocks what is missing,
    /// or sells the excess through confirmed orders, so that the ledger stays exact. Returns the orders it placed.
    /// </summary>
    public async Task<IReadOnlyList<string>> SetAvailableAsync(string sku, int target)
    {
        var orders = new List<string>();
        var start = await StockAsync(sku);
        var available = start.Available;
        if (available < target)
        {
            await RestockAsync(sku, (int)(target - available));
        }

        var customer = NewCustomer("stock-drain");
        for (var excess = available - target; excess > 0; excess -= Math.Min(excess, 1000))
        {
            var placed = await PlaceAsync(customer, "tok_visa", (sku, (int)Math.Min(excess, 1000)));
            orders.Add(placed.OrderId);
            var order = await WaitForTerminalAsync(placed.OrderId);
            Assert.True(order.Status == OrderStatus.Confirmed, $"Selling the excess of {sku} failed: {order}");
        }

        // Inventory turns a confirmed order's reservation into a sale after Orders confirms it (on OrderConfirmed):
        // wait for that, so that callers start from settled stock.
        var settled = await Eventually.UntilAsync(() => StockAsync(sku), stock => stock.Reserved == start.Reserved,
            stock => $"the drained units of {sku} are still reserved: {stock}");
        Assert.Equal(target, settled.Available);
        return orders;
    }

    public Task<PlaceOrderResponse> PlaceAsync(string customer, string token, params (string Sku, int Quantity)[] lines) =>
        Client.PlaceOrderAsync(NewOrder(customer, token, lines), TestContext.Current.CancellationToken);

    /// <summary>
    /// Places an order as a well-behaved client does: an UNAVAILABLE answer (Catalog could not price it in time, under a
    /// burst) is retried with the same idempotency key, so a retry can never make a second order.
    /// </summary>
    public async Task<PlaceOrderResponse> PlaceRetryingAsync(PlaceOrderRequest request)
    {
        var deadline = DateTime.UtcNow + Eventually.DefaultDeadline;
        while (true)
        {
            try
            {
                return await Client.PlaceOrderAsync(request, TestContext.Current.CancellationToken);
            }
            catch (RpcException exception) when (exception.StatusCode == StatusCode.Unavailable && DateTime.UtcNow < deadline)
            {
                TestContext.Current.TestOutputHelper?.WriteLine($"PlaceOrder {request.IdempotencyKey}: {exception.Status.Detail}; retrying");
                await Task.Delay(TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken);
            }
        }
    }

    public static PlaceOrderRequest NewOrder(string customer, string token, params (string Sku, int Quantity)[] lines)
    {
        var request = new PlaceOrderRequest { CustomerId = customer, PaymentToken = token, IdempotencyKey = Guid.NewGuid().ToString() };
        request.Lines.AddRange(lines.Select(line => new OrderLineRequest { Sku = line.Sku, Quantity = line.Quantity }));
        return request;
    }

    /// <summary>Polls the order until it is Confirmed or Cancelled.</summary>
    public Task<Order> WaitForTerminalAsync(string orderId, TimeSpan? deadline = null) =>
        WaitForOrderAsync(orderId, order => order.Status is OrderStatus.Confirmed or OrderStatus.Cancelled, "confirmed or cancelled", deadline);

    public Task<Order> WaitForOrderAsync(string orderId, Func<Order, bool> done, string what, TimeSpan? deadline = null) =>
        Eventually.UntilAsync(
            () => Client.GetOrderAsync(orderId, TestContext.Current.CancellationToken),
            done,
            order => $"order {orderId} is not {what}: {order}",
            deadline);

    /// <summary>The order's payment, or null while Payments has not heard of it.</summary>
    public async Task<Payment?> PaymentOrNullAsync(string orderId)
    {
        try
        {
            return await Client.GetPaymentAsync(orderId, TestContext.Current.CancellationToken);
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<Notification>> NotificationsAsync(string customer, string orderId) =>
        (await Client.ListNotificationsAsync(
            new ListNotificationsRequest { CustomerId = customer, OrderId = orderId, PageSize = 100 }, TestContext.Current.CancellationToken)).Notifications;

    /// <summary>
    /// The end of every test: waits (bounded) until the system has settled, then checks that
    /// per SKU available + reserved + sold == stock ever added (seed + restocks) with nothing left reserved;
    /// sum(captured) - sum(refunded) == sum(confirmed totals) over <paramref name="orderIds"/>;
    /// every one of those orders is terminal and has the notification of its final state.
    /// </summary>
    public async Task ReconcileAsync(IEnumerable<string> orderIds)
    {
        var ids = orderIds.Distinct().ToList();
        var report = await Eventually.UntilAsync(() => ReconciliationReport.TakeAsync(this, ids), report => report.Holds, report => report.ToString());
        Assert.True(report.Holds, report.ToString());
    }

    internal IReadOnlyDictionary<string, long> EverAdded => _everAdded;
}
