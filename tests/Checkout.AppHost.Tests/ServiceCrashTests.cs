using System.Collections.Concurrent;
using Checkout.Contracts;
using Checkout.Contracts.Inventory.V1;
using Checkout.Contracts.Notifications.V1;
using Checkout.Contracts.Orders.V1;
using Checkout.Contracts.Payments.V1;
using Checkout.Testing;
using Checkout.Testing.AppHost;
using Grpc.Core;

namespace Checkout.AppHost.Tests;

/// <summary>
/// A service that dies (kill -9) in the middle of a burst of checkouts: the app model shows it exited with its exit
/// code, it is restarted through the app model (what the dashboard's Start does), and the saga then settles every order
/// with the books balanced: nothing lost, nothing duplicated, nothing oversold.
/// </summary>
public sealed class ServiceCrashTests
{
    // Inventory is where overselling would happen: it reserves stock from the OrderPlaced events it consumes.
    private const string Victim = ServiceNames.Inventory;
    private const string Sku = "SKU-1012";
    private const int Orders = 40;
    private const int KillAfter = 12;
    private const int Parallelism = 4;

    /// <summary>Generous: the whole system starts in the test's process on two cores that other people's work shares.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(6);

    [Fact]
    public async Task A_service_killed_mid_burst_shows_its_exit_code_restarts_through_the_app_model_and_every_order_settles_balanced()
    {
        var ct = TestContext.Current.CancellationToken;
        var log = TestOutput.Sink();
        await using var app = await CheckoutApp.StartAsync(new CheckoutAppOptions
        {
            StartTimeout = StartTimeout,
            // The saga waits for Inventory however long its restart takes on a loaded machine: orders are to be settled
            // by stock, not cancelled by the saga's timeout (30 s by default) while Inventory is down.
            Environment = new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                [ServiceNames.Orders] = new Dictionary<string, string> { ["Orders__SagaTimeout"] = "00:05:00" },
            },
        }, ct);
        var client = app.Client;

        // The opening balance, and a quantity per order such that about half the burst can be served: the rest must be
        // cancelled for lack of stock, never sold twice.
        var opening = (await client.GetStockAsync(new GetStockRequest(), ct)).Levels.ToDictionary(level => level.Sku, level => level.Available + level.Reserved + level.Sold);
        var available = (await client.GetStockAsync(new GetStockRequest { Skus = { Sku } }, ct)).Levels.Single().Available;
        var quantity = (int)Math.Clamp(available / (Orders / 2), 1, 1000);
        log($"{Sku}: {available} available; {Orders} orders of {quantity}");

        var placed = new ConcurrentDictionary<string, string>(StringComparer.Ordinal); // idempotency key -> order id
        var customers = Enumerable.Range(0, 8).Select(i => $"crash-{i}-{Guid.NewGuid():N}").ToList();
        var requests = Enumerable.Range(0, Orders).Select(i => NewOrder(customers[i % customers.Count], quantity)).ToList();
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var count = 0;
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, async (request, token) =>
        {
            var response = await PlaceRetryingAsync(client, request, token);
            placed[request.IdempotencyKey] = response.OrderId;
            if (Interlocked.Increment(ref count) == KillAfter)
            {
                KillServiceProcess(app, Victim, log);
                killed.SetResult();
            }
        });
        await killed.Task;
        Assert.Equal(Orders, placed.Count);

        // The app model shows the crash: a terminal state with the exit code of a process killed by a signal.
        var crashed = await app.App.ResourceNotifications.WaitForResourceAsync(Victim,
            resource => KnownResourceStates.TerminalStates.Contains(resource.Snapshot.State?.Text), ct).WaitAsync(TimeSpan.FromMinutes(1), ct);
        log($"{Victim} is {crashed.Snapshot.State?.Text} with exit code {crashed.Snapshot.ExitCode}");
        Assert.NotNull(crashed.Snapshot.ExitCode);
        Assert.NotEqual(0, crashed.Snapshot.ExitCode);

        // Restarted as the dashboard's Start button does; healthy again.
        await app.StartAsync(Victim, ct);

        await Eventually.UntilAsync(() => ProblemsAsync(client, opening, requests, placed), problems => problems.Count == 0,
            problems => "the books do not balance:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Take(30)),
            TimeSpan.FromMinutes(3));
        var after = (await client.GetStockAsync(new GetStockRequest { Skus = { Sku } }, ct)).Levels.Single();
        var outcomes = new List<Order>();
        foreach (var customer in customers)
            outcomes.AddRange((await client.ListOrdersAsync(new ListOrdersRequest { CustomerId = customer, PageSize = 100 }, ct)).Orders);
        log($"{Sku} after the burst: {after}; orders: " + string.Join(", ", outcomes.GroupBy(order => $"{order.Status} {order.CancellationReason}".Trim()).Select(group => $"{group.Count()} {group.Key}")));
        // The burst asked for more than there was: the stock ran out, and what was sold is what the confirmed orders hold.
        var confirmed = outcomes.Count(order => order.Status == OrderStatus.Confirmed);
        Assert.True(after.Available < quantity, $"The burst should have exhausted {Sku}: {after}");
        Assert.Equal((long)confirmed * quantity, available - after.Available);
    }

    /// <summary>
    /// Kills the service's own process (not DCP's <c>dotnet run</c> in front of it) with SIGKILL: a crash, with no
    /// chance to finish what it was doing.
    /// </summary>
    private static void KillServiceProcess(CheckoutApp app, string service, Action<string> log)
    {
        Assert.True(app.App.ResourceNotifications.TryGetCurrentState(service, out var current), $"{service} has no state.");
        // DCP reports the pid of the process it started: the "dotnet run" in front of the service.
        var launcher = current.Snapshot.Properties.Single(property => property.Name == "executable.pid").Value;
        var launcherPid = Convert.ToInt32(launcher, System.Globalization.CultureInfo.InvariantCulture);
        var process = SystemProbe.ServiceProcess(ProcessTable.Descendants(ProcessTable.Snapshot(), [launcherPid]), service)
            ?? throw new InvalidOperationException($"No {service} process below pid {launcherPid}.");
        log($"kill -9 {process}");
        System.Diagnostics.Process.GetProcessById(process.Pid).Kill();
    }

    private static PlaceOrderRequest NewOrder(string customer, int quantity)
    {
        var request = new PlaceOrderRequest { CustomerId = customer, PaymentToken = "tok_visa", IdempotencyKey = Guid.NewGuid().ToString() };
        request.Lines.Add(new OrderLineRequest { Sku = Sku, Quantity = quantity });
        return request;
    }

    /// <summary>A well-behaved client: UNAVAILABLE is retried with the same idempotency key, so a retry never makes a second order.</summary>
    private static async Task<PlaceOrderResponse> PlaceRetryingAsync(CheckoutClient client, PlaceOrderRequest request, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            try
            {
                return await client.PlaceOrderAsync(request, cancellationToken);
            }
            catch (RpcException exception) when (exception.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded && DateTime.UtcNow < until)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            }
        }
    }

    /// <summary>
    /// What is wrong with the system's books, empty when they balance: per SKU available + reserved + sold equals the
    /// opening stock with nothing left reserved (nothing oversold or lost); each idempotency key made exactly one order
    /// and each customer has exactly the orders placed (nothing duplicated); each order is confirmed or cancelled with
    /// the notification of that state; the money captured minus refunded equals the confirmed orders' totals.
    /// </summary>
    private static async Task<List<string>> ProblemsAsync(
        CheckoutClient client, IReadOnlyDictionary<string, long> opening, IReadOnlyList<PlaceOrderRequest> requests, IReadOnlyDictionary<string, string> placed)
    {
        var problems = new List<string>();
        foreach (var level in (await client.GetStockAsync(new GetStockRequest())).Levels)
        {
            if (level.Available + level.Reserved + level.Sold != opening.GetValueOrDefault(level.Sku))
                problems.Add($"{level.Sku}: available {level.Available} + reserved {level.Reserved} + sold {level.Sold} != opening {opening.GetValueOrDefault(level.Sku)}");
            if (level.Reserved != 0)
                problems.Add($"{level.Sku}: {level.Reserved} unit(s) still reserved");
        }

        if (placed.Values.Distinct(StringComparer.Ordinal).Count() != requests.Count)
            problems.Add($"{requests.Count} idempotency keys made {placed.Values.Distinct(StringComparer.Ordinal).Count()} distinct orders");

        long captured = 0, refunded = 0, confirmedTotals = 0;
        foreach (var customer in requests.GroupBy(request => request.CustomerId))
        {
            var listed = await client.ListOrdersAsync(new ListOrdersRequest { CustomerId = customer.Key, PageSize = 100 });
            var expected = customer.Select(request => placed[request.IdempotencyKey]).Order(StringComparer.Ordinal).ToList();
            var actual = listed.Orders.Select(order => order.OrderId).Order(StringComparer.Ordinal).ToList();
            if (!expected.SequenceEqual(actual))
                problems.Add($"{customer.Key} placed [{string.Join(", ", expected)}] but has [{string.Join(", ", actual)}]");

            foreach (var order in listed.Orders)
            {
                if (order.Status == OrderStatus.Confirmed)
                    confirmedTotals += order.TotalMinor;
                else if (order.Status != OrderStatus.Cancelled)
                {
                    problems.Add($"order {order.OrderId} is still {order.Status}");
                    continue;
                }

                try
                {
                    var payment = await client.GetPaymentAsync(order.OrderId);
                    if (payment.Status is PaymentStatus.Captured or PaymentStatus.Refunded)
                    {
                        captured += payment.AmountMinor;
                        refunded += payment.RefundedMinor;
                    }
                }
                catch (RpcException exception) when (exception.StatusCode == StatusCode.NotFound)
                {
                    // Refused for lack of stock before any payment was asked for.
                }

                var kind = order.Status == OrderStatus.Confirmed ? "order-confirmed" : "order-cancelled";
                var notifications = (await client.ListNotificationsAsync(new ListNotificationsRequest { CustomerId = customer.Key, OrderId = order.OrderId, PageSize = 100 })).Notifications;
                if (notifications.Count(notification => notification.Kind == kind) != 1)
                    problems.Add($"order {order.OrderId} is {order.Status} with {notifications.Count(notification => notification.Kind == kind)} {kind} notification(s)");
            }
        }

        if (captured - refunded != confirmedTotals)
            problems.Add($"captured {captured} - refunded {refunded} != confirmed order totals {confirmedTotals}");
        return problems;
    }
}
