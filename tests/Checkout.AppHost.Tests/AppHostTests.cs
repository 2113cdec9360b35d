using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Net.Sockets;
using Checkout.AppHost.Hosting;
using Checkout.AppHost.Infrastructure;
using Checkout.Contracts.Catalog.V1;
using Checkout.Contracts.Orders.V1;
using Checkout.ServiceDefaults.Grpc;
using Npgsql;

namespace Checkout.AppHost.Tests;

/// <summary>
/// Checkout.AppHost as a user runs it: one process that starts PostgreSQL, the broker and every service, keeps them
/// running, and takes them all down on SIGTERM; in external mode it starts no PostgreSQL; a bad start says why.
/// </summary>
public sealed class AppHostTests : IAsyncLifetime
{
    private static readonly string[] Services = ["catalog", "inventory", "payments", "notifications", "orders"];
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"checkout-apphost-test-{Guid.NewGuid():N}");

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }

        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Starts_every_resource_healthy_confirms_an_order_and_leaves_nothing_behind_after_SIGTERM()
    {
        await using var host = AppHostProcess.Start($"--Postgres:DataDirectory={_dataDirectory}");
        await host.WaitUntilReadyAsync();

        foreach (var resource in (string[])["postgres", "catalogdb", "ordersdb", "inventorydb", "paymentsdb", "notificationsdb", "kafka", "gateway", .. Services])
        {
            await host.WaitForStateAsync(resource, "Running");
        }

        // As the ready message tells a newcomer: a development token, then an order through the gateway's HTTP API.
        Assert.Contains($"Gateway: {host.Endpoint("gateway")}".TrimEnd('/'), host.Output, StringComparison.Ordinal);
        using (var gateway = new HttpClient { BaseAddress = host.Endpoint("gateway"), Timeout = TimeSpan.FromSeconds(30) })
        {
            var status = await PlaceThroughGatewayAsync(gateway);
            Assert.Equal("confirmed", status);
        }

        // What this run holds: the AppHost and every process below it, its ports, PostgreSQL's private socket folder.
        var processes = host.ProcessTree();
        var ports = Services.Append("gateway").Select(service => host.Endpoint(service).Port)
            .Append(PortOf(host.Detail("postgres"))).Append(PortOf(host.Detail("kafka"))).ToList();
        var socketFolder = PostgresSocketFolder(processes);
        Assert.Contains(processes, process => process.Name == "postgres");

        Assert.Equal(0, await host.TerminateAsync());

        var survivors = processes.Where(process => AppHostProcess.IsAlive(process.Pid)).ToList();
        Assert.True(survivors.Count == 0, $"still running: {string.Join(", ", survivors)}");
        Assert.All(ports, port => Assert.True(LoopbackPorts.IsFree(port), $"port {port} is still in use"));
        Assert.False(Directory.Exists(socketFolder), $"{socketFolder} was left behind");
        Assert.Contains("Stopped.", host.Output, StringComparison.Ordinal);
        // Each service stopped on its SIGTERM, gracefully (a kill after the grace period would not exit with 0).
        Assert.All(Services.Append("gateway"), service => Assert.Contains($"Stopped {service} (exit code 0)", host.Output, StringComparison.Ordinal));
        // The data folder is kept across runs, like a data volume.
        Assert.True(File.Exists(Path.Combine(_dataDirectory, "PG_VERSION")), "the PostgreSQL data folder was not kept");
    }

    [Fact]
    public async Task In_external_mode_the_services_use_the_given_PostgreSQL_and_no_embedded_one_starts()
    {
        await using var external = await EmbeddedPostgres.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        string orderId;
        await using (var host = AppHostProcess.Start("--Postgres:Mode=External", $"--Postgres:ConnectionString={external.GetConnectionString()}"))
        {
            await host.WaitUntilReadyAsync();
            Assert.StartsWith("external", await host.WaitForStateAsync("postgres", "Running"), StringComparison.Ordinal);
            Assert.DoesNotContain(host.ProcessTree(), process => process.Name == "postgres");
            Assert.False(host.EverReported("postgres", "Starting"));

            using var client = host.Client(Services);
            orderId = (await PlaceAndConfirmAsync(client, "apphost-external")).OrderId;
            Assert.Equal(0, await host.TerminateAsync());
        }

        // The order is in the external server's ordersdb, which the AppHost created there; the server outlived the run.
        await using var connection = new NpgsqlConnection(external.GetConnectionString("ordersdb"));
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand("SELECT status FROM orders WHERE order_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = Guid.Parse(orderId) });
        Assert.Equal((short)2, await command.ExecuteScalarAsync(TestContext.Current.CancellationToken)); // 2 = confirmed
        foreach (var database in (string[])["catalogdb", "inventorydb", "paymentsdb", "notificationsdb"])
        {
            await using var exists = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = $1", connection);
            exists.Parameters.Add(new NpgsqlParameter { Value = database });
            Assert.Equal(1L, await exists.ExecuteScalarAsync(TestContext.Current.CancellationToken));
        }
    }

    [Fact]
    public async Task A_killed_service_is_restarted_and_an_order_placed_while_it_was_down_completes()
    {
        // A restart delay long enough to place an order while Payments is down, and a saga timeout long enough that
        // the order waits for Payments however slowly it comes back on a loaded machine.
        await using var host = AppHostProcess.Start(
            $"--Postgres:DataDirectory={_dataDirectory}", "--AppHost:Restart:InitialDelay=00:00:05",
            "--orders:Environment:Orders__SagaTimeout=00:10:00");
        await host.WaitUntilReadyAsync();
        using var client = host.Client(Services);
        var killed = host.ServicePid("payments");

        AppHostProcess.KillHard(killed);
        Assert.Contains("exit code 137", await host.WaitForStateAsync("payments", "Exited"), StringComparison.Ordinal);
        var placed = await client.PlaceOrderAsync(await NewOrderAsync(client, "apphost-restart"), TestContext.Current.CancellationToken);

        await host.WaitForStateAsync("payments", "Running", detail => !detail.Contains($"pid {killed}", StringComparison.Ordinal));
        Assert.True(host.EverReported("payments", "Restarting"));
        Assert.NotEqual(killed, host.ServicePid("payments"));
        var order = await WaitForTerminalAsync(client, placed.OrderId);
        Assert.True(order.Status == OrderStatus.Confirmed, $"{order}{Environment.NewLine}{host.Output}");
        Assert.Equal(0, await host.TerminateAsync());
    }

    [Fact]
    public async Task A_fixed_port_in_use_stops_the_start_with_one_clear_message_and_a_non_zero_exit()
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;

        await using var host = AppHostProcess.Start($"--orders:Port={port}", "--Postgres:Temporary=true");

        Assert.Equal(1, await host.WaitForExitAsync());
        var error = Assert.Single(host.Output.Split(Environment.NewLine), line => line.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains($"Port {port} for 'orders' is already in use", error, StringComparison.Ordinal);
        Assert.Contains("--orders:Port=", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task External_mode_without_its_address_stops_the_start_with_the_setting_to_give()
    {
        await using var host = AppHostProcess.Start("--Kafka:Mode=External", "--Postgres:Temporary=true");

        Assert.Equal(1, await host.WaitForExitAsync());
        var error = Assert.Single(host.Output.Split(Environment.NewLine), line => line.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("kafka:BootstrapServers is not set", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", host.Output, StringComparison.Ordinal);
        // Settings are checked before anything starts.
        Assert.False(host.EverReported("postgres", "Starting"), host.Output);
    }

    /// <summary>Places an order through the gateway and returns its status once it is no longer pending.</summary>
    private static async Task<string?> PlaceThroughGatewayAsync(HttpClient gateway)
    {
        var cancellation = TestContext.Current.CancellationToken;
        using var tokenResponse = await gateway.PostAsJsonAsync("/dev/token", new { customerId = $"apphost-{Guid.NewGuid():N}" }, cancellation);
        Assert.Equal(HttpStatusCode.OK, tokenResponse.StatusCode);
        var token = (await tokenResponse.Content.ReadFromJsonAsync<JsonElement>(cancellation)).GetProperty("accessToken").GetString();
        gateway.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var place = new HttpRequestMessage(HttpMethod.Post, "/api/orders")
        {
            Content = JsonContent.Create(new { lines = new[] { new { sku = "SKU-1001", quantity = 1 } }, paymentToken = "tok_visa" }),
        };
        place.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var placed = await gateway.SendAsync(place, cancellation);
        Assert.True(placed.StatusCode == HttpStatusCode.Accepted, await placed.Content.ReadAsStringAsync(cancellation));

        var until = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            var view = await gateway.GetFromJsonAsync<JsonElement>(placed.Headers.Location, cancellation);
            var status = view.GetProperty("order").GetProperty("status").GetString();
            if (status != "pending")
            {
                return status;
            }

            Assert.True(DateTime.UtcNow < until, $"the order is still pending: {view}");
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellation);
        }
    }

    private static async Task<Order> PlaceAndConfirmAsync(CheckoutClient client, string purpose)
    {
        var placed = await client.PlaceOrderAsync(await NewOrderAsync(client, purpose), TestContext.Current.CancellationToken);
        return await WaitForTerminalAsync(client, placed.OrderId);
    }

    private static async Task<PlaceOrderRequest> NewOrderAsync(CheckoutClient client, string purpose)
    {
        var product = (await client.ListProductsAsync(new ListProductsRequest(), TestContext.Current.CancellationToken)).Products.First();
        await client.RestockAsync(product.Sku, 1, TestContext.Current.CancellationToken);
        var request = new PlaceOrderRequest
        {
            CustomerId = $"{purpose}-{Guid.NewGuid():N}",
            PaymentToken = "tok_visa",
            IdempotencyKey = Guid.NewGuid().ToString(),
        };
        request.Lines.Add(new OrderLineRequest { Sku = product.Sku, Quantity = 1 });
        return request;
    }

    private static async Task<Order> WaitForTerminalAsync(CheckoutClient client, string orderId)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            var order = await client.GetOrderAsync(orderId, TestContext.Current.CancellationToken);
            if (order.Status is OrderStatus.Confirmed or OrderStatus.Cancelled)
            {
                return order;
            }

            Assert.True(DateTime.UtcNow < until, $"order {orderId} is still {order.Status}: {order}");
            await Task.Delay(TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken);
        }
    }

    private static int PortOf(string detail) =>
        int.Parse(System.Text.RegularExpressions.Regex.Match(detail, @"127\.0\.0\.1:(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    private static string PostgresSocketFolder(IReadOnlyList<(int Pid, string Name)> processes)
    {
        var postgres = processes.First(process => process.Name == "postgres").Pid;
        var arguments = File.ReadAllText($"/proc/{postgres}/cmdline").Split('\0');
        return arguments[Array.IndexOf(arguments, "-k") + 1];
    }
}
