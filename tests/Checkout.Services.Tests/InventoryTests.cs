using Checkout.Contracts;
using Checkout.Contracts.Events.V1;
using Checkout.Contracts.Inventory.V1;
using Checkout.Contracts.Messaging.V1;
using Dapper;
using Grpc.Core;

namespace Checkout.Services.Tests;

/// <summary>Inventory with its database and the broker.</summary>
public sealed class InventoryFixture() : ServiceFixture(ServiceNames.Inventory, DatabaseNames.Inventory, usesBroker: true)
{
    public Inventory.InventoryClient Client => new(Channel);

    /// <summary>What the service published about <paramref name="orderId"/> (its answers to OrderPlaced).</summary>
    public IReadOnlyList<RecordedEvent> AnswersTo(string orderId) => Events.On("inventory", orderId);

    /// <summary>Waits (bounded) for the service's first answer about <paramref name="orderId"/>.</summary>
    public Task<RecordedEvent> FirstAnswerToAsync(string orderId) => Events.FirstOnAsync("inventory", orderId);

    /// <summary>A SKU no other test uses, restocked with <paramref name="units"/>.</summary>
    public async Task<string> NewSkuAsync(int units)
    {
        var sku = "T-" + Guid.NewGuid().ToString("N")[..12].ToUpperInvariant();
        await RestockAsync(sku, units);
        return sku;
    }

    public Task<StockLevel> RestockAsync(string sku, int quantity) =>
        Client.RestockAsync(new RestockRequest { Sku = sku, Quantity = quantity }, CallOptions()).ResponseAsync;

    public Task<GetStockResponse> GetStockAsync(params string[] skus) =>
        Client.GetStockAsync(new GetStockRequest { Skus = { skus } }, CallOptions()).ResponseAsync;

    public async Task<(long Available, long Reserved, long Sold)> StockOfAsync(string sku)
    {
        var level = (await GetStockAsync(sku)).Levels.Single();
        return (level.Available, level.Reserved, level.Sold);
    }

    public static OrderPlaced Placed(string orderId, params (string Sku, int Quantity)[] lines) => new()
    {
        OrderId = orderId,
        CustomerId = "customer-1",
        Currency = "EUR",
        PaymentToken = "tok_visa",
        Lines = { lines.Select(line => new EventLine { Sku = line.Sku, Quantity = line.Quantity, UnitPriceMinor = 100 }) },
        TotalMinor = lines.Sum(line => line.Quantity * 100L),
    };

    /// <summary>SKUs whose buckets do not add up to the units ever added (the reconciliation every test ends with).</summary>
    public async Task<List<string>> UnbalancedSkusAsync()
    {
        await using var connection = await OpenDatabaseAsync();
        return (await connection.QueryAsync<string>(
            "SELECT sku FROM stock WHERE available + reserved + sold <> total_added OR available < 0 OR reserved < 0 OR sold < 0")).AsList();
    }
}

[CollectionDefinition(nameof(InventoryCollection))]
public sealed class InventoryCollection : ICollectionFixture<InventoryFixture>;

[Collection(nameof(InventoryCollection))]
public sealed class InventoryTests(InventoryFixture inventory) : IAsyncLifetime
{
    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => Assert.Empty(await inventory.UnbalancedSkusAsync());

    private static string NewOrderId() => Guid.NewGuid().ToString();

    [Fact]
    public async Task An_order_that_fits_reserves_every_line()
    {
        var (a, b) = (await inventory.NewSkuAsync(5), await inventory.NewSkuAsync(3));
        var order = NewOrderId();

        await inventory.PublishOrderEventAsync(order, InventoryFixture.Placed(order, (a, 2), (b, 3)));
        var answer = await inventory.FirstAnswerToAsync(order);

        Assert.True(answer.Is<InventoryReserved>());
        var reserved = answer.Payload<InventoryReserved>();
        Assert.Equal(order, reserved.OrderId);
        Assert.Equal([(a, 2), (b, 3)], reserved.Lines.Select(l => (l.Sku, l.Quantity)));
        Assert.Equal("inventory", answer.Envelope.Source);
        Assert.Equal((3L, 2L, 0L), await inventory.StockOfAsync(a));
        Assert.Equal((0L, 3L, 0L), await inventory.StockOfAsync(b));
    }

    [Fact]
    public async Task An_order_that_does_not_fit_reserves_nothing_and_names_every_shortage()
    {
        var (a, b) = (await inventory.NewSkuAsync(5), await inventory.NewSkuAsync(1));
        var unstocked = "NOT-STOCKED-" + Random.Shared.Next(1000, 9999);
        var order = NewOrderId();

        await inventory.PublishOrderEventAsync(order, InventoryFixture.Placed(order, (a, 2), (b, 2), (unstocked, 1)));
        var answer = await inventory.FirstAnswerToAsync(order);

        Assert.True(answer.Is<InventoryRejected>());
        var rejected = answer.Payload<InventoryRejected>();
        Assert.Equal([(b, 2, 1L), (unstocked, 1, 0L)], rejected.Shortages.Select(s => (s.Sku, s.Requested, s.Available)));
        Assert.Equal((5L, 0L, 0L), await inventory.StockOfAsync(a));
        Assert.Equal((1L, 0L, 0L), await inventory.StockOfAsync(b));
    }

    [Fact]
    public async Task Cancelling_a_reserved_order_releases_its_stock()
    {
        var sku = await inventory.NewSkuAsync(4);
        var order = NewOrderId();
        await inventory.PublishOrderEventAsync(order, InventoryFixture.Placed(order, (sku, 3)));
        await inventory.FirstAnswerToAsync(order);

        var cancelled = await inventory.PublishOrderEventAsync(order, new OrderCancelled { OrderId = order, Reason = "payment declined", Lines = { new EventLine { Sku = sku, Quantity = 3 } } });
        await inventory.HandledAsync(cancelled);

        Assert.Equal((4L, 0L, 0L), await inventory.StockOfAsync(sku));
    }

    [Fact]
    public async Task Confirming_sells_the_reservation_and_cancelling_after_that_returns_the_units()
    {
        var sku = await inventory.NewSkuAsync(10);
        var order = NewOrderId();
        await inventory.PublishOrderEventAsync(order, InventoryFixture.Placed(order, (sku, 4)));
        await inventory.FirstAnswerToAsync(order);

        var confirmed = await inventory.PublishOrderEventAsync(order, new OrderConfirmed { OrderId = order, TotalMinor = 400, Currency = "EUR" });
        await inventory.HandledAsync(confirmed);
        Assert.Equal((6L, 0L, 4L), await inventory.StockOfAsync(sku));

        var cancelled = await inventory.PublishOrderEventAsync(order, new OrderCancelled { OrderId = order, Reason = "cancelled by customer", WasConfirmed = true });
        await inventory.HandledAsync(cancelled);
        Assert.Equal((10L, 0L, 0L), await inventory.StockOfAsync(sku));

        // A late duplicate confirmation (another message) finds the order returned and moves nothing.
        var late = await inventory.PublishOrderEventAsync(order, new OrderConfirmed { OrderId = order, TotalMinor = 400, Currency = "EUR" });
        await inventory.HandledAsync(late);
        Assert.Equal((10L, 0L, 0L), await inventory.StockOfAsync(sku));
    }

    [Fact]
    public async Task An_order_placed_confirmed_and_cancelled_back_to_back_ends_with_its_units_returned()
    {
        // Published while Inventory is stopped, the three events of "returned" (one key, one partition) reach it
        // together and share a batch: the order is created, sold and returned in memory before anything is written.
        var sku = await inventory.NewSkuAsync(5);
        var (kept, returned) = (NewOrderId(), NewOrderId());
        await inventory.StopAsync();
        Envelope[] events =
        [
            await inventory.PublishOrderEventAsync(returned, InventoryFixture.Placed(returned, (sku, 2))),
            await inventory.PublishOrderEventAsync(kept, InventoryFixture.Placed(kept, (sku, 3))),
            await inventory.PublishOrderEventAsync(returned, new OrderConfirmed { OrderId = returned, TotalMinor = 200, Currency = "EUR" }),
            await inventory.PublishOrderEventAsync(kept, new OrderConfirmed { OrderId = kept, TotalMinor = 300, Currency = "EUR" }),
            await inventory.PublishOrderEventAsync(returned, new OrderCancelled { OrderId = returned, Reason = "cancelled by customer", WasConfirmed = true }),
        ];
        await inventory.StartAsync();
        await inventory.HandledAsync(events);

        Assert.Equal((2L, 0L, 3L), await inventory.StockOfAsync(sku));
        await using var connection = await inventory.OpenDatabaseAsync();
        Assert.Equal(["returned", "sold"], await connection.QueryAsync<string>(
            "SELECT status FROM reservations WHERE order_id = ANY(@ids) ORDER BY status", new { ids = new[] { Guid.Parse(kept), Guid.Parse(returned) } }));
        Assert.Empty(await inventory.UnbalancedSkusAsync());
    }

    [Fact]
    public async Task A_redelivered_or_repeated_order_placed_does_nothing_more()
    {
        var sku = await inventory.NewSkuAsync(10);
        var order = NewOrderId();
        var placed = InventoryFixture.Placed(order, (sku, 2));
        var first = await inventory.PublishOrderEventAsync(order, placed);

        await inventory.Events.PublishAsync("orders", order, first);          // the same message delivered again
        var repeated = await inventory.PublishOrderEventAsync(order, placed);           // the same order in another message
        await inventory.HandledAsync(first, repeated);

        await using var connection = await inventory.OpenDatabaseAsync();
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM messaging.outbox WHERE message_key = @order", new { order }));
        Assert.Equal((8L, 2L, 0L), await inventory.StockOfAsync(sku));
        await Eventually.UntilAsync(() => Task.FromResult(inventory.AnswersTo(order).Count > 0), "the reservation is published");
        Assert.Single(inventory.AnswersTo(order));
    }

    [Fact]
    public async Task Many_orders_racing_for_a_few_units_never_oversell()
    {
        const int units = 10;
        const int orders = 80;
        var scarce = await inventory.NewSkuAsync(units);
        var plentiful = await inventory.NewSkuAsync(1_000);
        // Every order wants one scarce unit; every other one also a plentiful unit, listed first or last, so that
        // transactions lock overlapping SKU sets given in different orders.
        var placed = Enumerable.Range(0, orders).Select(i =>
        {
            var order = NewOrderId();
            (string, int)[] lines = (i % 4) switch
            {
                1 => [(scarce, 1), (plentiful, 1)],
                3 => [(plentiful, 1), (scarce, 1)],
                _ => [(scarce, 1)],
            };
            return (Order: order, Event: InventoryFixture.Placed(order, lines));
        }).ToList();

        await Task.WhenAll(placed.Select(p => inventory.PublishOrderEventAsync(p.Order, p.Event)));
        await Eventually.UntilAsync(() => Task.FromResult(placed.All(p => inventory.AnswersTo(p.Order).Count > 0)), "every order is answered");

        var answers = placed.Select(p => (p.Event, Answer: inventory.AnswersTo(p.Order).Single())).ToList();
        var reserved = answers.Where(a => a.Answer.Is<InventoryReserved>()).Select(a => a.Event).ToList();
        Assert.Equal(units, reserved.Count);
        Assert.All(answers.Where(a => a.Answer.Is<InventoryRejected>()), a =>
            Assert.Equal([(scarce, 1, 0L)], a.Answer.Payload<InventoryRejected>().Shortages.Select(s => (s.Sku, s.Requested, s.Available))));
        Assert.Equal((0L, (long)units, 0L), await inventory.StockOfAsync(scarce));
        var plentifulReserved = reserved.Count(e => e.Lines.Any(l => l.Sku == plentiful));
        Assert.Equal((1_000L - plentifulReserved, (long)plentifulReserved, 0L), await inventory.StockOfAsync(plentiful));
    }

    [Fact]
    public async Task An_order_decided_on_stock_sold_meanwhile_is_decided_again_on_locked_stock_and_never_oversold()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var sku = await inventory.NewSkuAsync(5);
        var order = NewOrderId();
        await using var observer = await inventory.OpenDatabaseAsync();
        // What the transactions of this database that wait for a lock are running.
        async Task<List<string>> LockWaitsAsync() => (await observer.QueryAsync<string>(
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).AsList();
        const string LockForWrite = "SELECT 1 FROM stock", LockedLoad = "SELECT s.sku, s.available";

        await using var sellerConnection = await inventory.OpenDatabaseAsync();
        await using var seller = await sellerConnection.BeginTransactionAsync(cancellation);
        // Another transaction holds the SKU's row while Inventory reads 5 available (without a lock) and decides to reserve 3.
        await sellerConnection.ExecuteAsync("SELECT 1 FROM stock WHERE sku = @sku FOR UPDATE", new { sku }, seller);
        await inventory.PublishOrderEventAsync(order, InventoryFixture.Placed(order, (sku, 3)));
        // It waits to write its decision, made on the stock as it read it.
        var waits = await Eventually.UntilAsync(LockWaitsAsync, w => w.Count == 1, w => $"Inventory did not wait for the stock row ({w.Count} waits)");
        Assert.StartsWith(LockForWrite, waits[0]);

        // A second transaction queues for the row behind Inventory, to hold it when Inventory retries.
        await using var nextConnection = await inventory.OpenDatabaseAsync();
        await using var next = await nextConnection.BeginTransactionAsync(cancellation);
        var nextLocked = nextConnection.ExecuteAsync("SELECT 1 FROM stock WHERE sku = @sku FOR UPDATE", new { sku }, next);
        await Eventually.UntilAsync(LockWaitsAsync, w => w.Count == 2, w => $"the second transaction did not queue ({w.Count} waits)");
        // Meanwhile 4 of the 5 units are sold.
        await sellerConnection.ExecuteAsync("UPDATE stock SET available = available - 4, sold = sold + 4 WHERE sku = @sku", new { sku }, seller);
        await seller.CommitAsync(cancellation);

        // The stock table refuses the reservation (the second transaction gets the row), and the retry reads the stock locked.
        await nextLocked;
        waits = await Eventually.UntilAsync(LockWaitsAsync, w => w.Count == 1, w => $"Inventory's retry did not wait for the row ({w.Count} waits)");
        Assert.StartsWith(LockedLoad, waits[0]);
        await next.RollbackAsync(cancellation);

        var answer = await inventory.FirstAnswerToAsync(order);
        Assert.True(answer.Is<InventoryRejected>(), $"expected InventoryRejected, got {answer.Envelope.Type}");
        Assert.Equal([(sku, 3, 1L)], answer.Payload<InventoryRejected>().Shortages.Select(s => (s.Sku, s.Requested, s.Available)));
        Assert.Equal((1L, 0L, 4L), await inventory.StockOfAsync(sku));
        Assert.Empty(await inventory.UnbalancedSkusAsync());
        Assert.Single(inventory.AnswersTo(order));
    }

    [Fact]
    public async Task Stock_reads_all_skus_or_the_requested_ones_in_request_order()
    {
        var (a, b) = (await inventory.NewSkuAsync(7), await inventory.NewSkuAsync(9));

        var requested = await inventory.GetStockAsync(b, a);
        var all = await inventory.GetStockAsync();

        Assert.Equal([(b, 9L), (a, 7L)], requested.Levels.Select(l => (l.Sku, l.Available)));
        Assert.Equal(all.Levels.Select(l => l.Sku).Order(StringComparer.Ordinal), all.Levels.Select(l => l.Sku));
        Assert.Contains(all.Levels, l => l.Sku == a);
        // The demo catalogue's opening stock is seeded once, counted as added.
        var demo = all.Levels.Where(l => l.Sku.StartsWith("SKU-", StringComparison.Ordinal)).ToList();
        Assert.Equal(12, demo.Count);
        Assert.All(demo, l => Assert.Equal(1_000L, l.Available + l.Reserved + l.Sold));
    }

    [Fact]
    public async Task Restocking_creates_a_new_sku_and_adds_to_an_existing_one()
    {
        var sku = "NEW-" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

        var created = await inventory.RestockAsync(sku, 5);
        var added = await inventory.RestockAsync(sku, 1_000_000);

        Assert.Equal((sku, 5L, 0L, 0L), (created.Sku, created.Available, created.Reserved, created.Sold));
        Assert.Equal(1_000_005L, added.Available);
        await using var connection = await inventory.OpenDatabaseAsync();
        Assert.Equal(1_000_005L, await connection.ExecuteScalarAsync<long>("SELECT total_added FROM stock WHERE sku = @sku", new { sku }));
    }

    [Theory]
    [InlineData("SKU-1001", 0, "quantity must be between 1 and 1000000.")]
    [InlineData("SKU-1001", 1_000_001, "quantity must be between 1 and 1000000.")]
    [InlineData("SKU-1001", -3, "quantity must be between 1 and 1000000.")]
    [InlineData("", 1, "sku is required.")]
    [InlineData("sku 1", 1, "sku must be 1 to 32 characters of A-Z, 0-9 and '-'.")]
    [InlineData("SKU-1001\n", 1, "sku must be 1 to 32 characters of A-Z, 0-9 and '-'.")]
    public async Task Restock_validates_its_request(string sku, int quantity, string message)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => inventory.RestockAsync(sku, quantity));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(message, error.Status.Detail);
    }

    [Fact]
    public async Task Stock_of_unknown_skus_is_not_found_naming_them_all()
    {
        var known = await inventory.NewSkuAsync(1);

        var error = await Assert.ThrowsAsync<RpcException>(() => inventory.GetStockAsync("NOPE-1", known, "NOPE-2"));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("unknown SKU(s): NOPE-1, NOPE-2", error.Status.Detail);
    }
}
