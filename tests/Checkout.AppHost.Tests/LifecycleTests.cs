using System.Diagnostics;
using System.Text.RegularExpressions;
using Checkout.AppHost.Integrations.Postgres;
using Checkout.Testing;
using Checkout.Testing.AppHost;
using Npgsql;

namespace Checkout.AppHost.Tests;

/// <summary>
/// The app host run as users run it (its executable as a child process, its launch profile's environment) from start
/// to end: what it prints, what it runs, and what is left once it is stopped politely (SIGTERM) or killed (-9).
/// </summary>
public sealed partial class LifecycleTests
{
    /// <summary>Generous: a cold start on two cores that other people's builds and tests share.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(6);

    /// <summary>DCP notices that the app host is gone and stops everything; on a loaded machine that takes a while.</summary>
    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task It_starts_every_resource_healthy_prints_the_login_url_and_the_gateway_and_SIGTERM_stops_everything_with_PostgreSQL_shut_down_cleanly_and_its_data_kept()
    {
        var ct = TestContext.Current.CancellationToken;
        var log = TestOutput.Sink();
        using var data = new TemporaryDataFolder();
        string orderId;
        await using (var host = AppHostProcess.Start([$"--Postgres:DataDirectory={data.Path}"], log))
        {
            var gateway = await host.WaitUntilReadyAsync(StartTimeout, ct);

            // The login URL carries the browser token and opens the dashboard.
            var login = await host.WaitForLineAsync(AppHostProcess.LoginLine(), TimeSpan.Zero, ct);
            Assert.Equal(host.BrowserToken, login.Groups["token"].Value);
            using (var browser = new HttpClient())
            {
                using var page = await browser.GetAsync(host.LoginUrl, ct);
                Assert.True(page.IsSuccessStatusCode, $"GET {host.LoginUrl}: {(int)page.StatusCode}");
            }

            // The hint shows how to call the gateway: its address and curl lines with a development token.
            Assert.Contains($"curl -s {gateway.ToString().TrimEnd('/')}/api/products", host.Output, StringComparison.Ordinal);
            Assert.Contains("/dev/token", host.Output, StringComparison.Ordinal);

            var system = host.RememberSystem();
            await SystemProbe.AssertEveryResourceHealthyAsync(system, data.Path, ct);

            // A checkout, so that there is data to find after the stop.
            using (var http = new HttpClient { BaseAddress = gateway })
            {
                var checkout = new GatewayCheckout(http);
                orderId = await checkout.PlaceAsync("lifecycle-sigterm", cancellationToken: ct);
                Assert.Equal("confirmed", await checkout.WaitUntilSettledAsync("lifecycle-sigterm", orderId, ct));
            }

            system = host.RememberSystem();
            var ports = ProcessTable.ListeningPorts(system.Select(entry => entry.Pid));
            var clock = Stopwatch.StartNew();
            host.Terminate();
            Assert.True(await host.WaitForExitAsync(TimeSpan.FromSeconds(60)), "The app host did not exit within 60 s of SIGTERM.");
            Assert.Equal(0, host.ExitCode);
            await AssertAllGoneAsync(system, ports);
            log($"SIGTERM: the app host exited and every process of its system was gone {clock.Elapsed.TotalSeconds:0.0} s later.");
        }

        // The cluster's control file says it was shut down, not interrupted...
        var controlData = await RunAsync(Path.Combine(PostgresProgramsFolder(), "pg_controldata"), data.Path);
        Assert.Matches(ClusterShutDown(), controlData);

        // ... and so does the server's log when it is started on the same folder, which still holds the order.
        await using var again = await CheckoutApp.StartAsync(
            new CheckoutAppOptions { Resources = ["postgres", "ordersdb"], Arguments = [$"--Postgres:DataDirectory={data.Path}"] }, ct);
        var recovered = await again.WaitForConsoleLineAsync(
            "postgres", line => line.Contains("database system was shut down at", StringComparison.Ordinal) || line.Contains("was interrupted", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20), ct);
        Assert.Contains("database system was shut down at", recovered, StringComparison.Ordinal);
        Assert.DoesNotContain(await again.ConsoleLinesAsync("postgres", ct), line => line.Contains("automatic recovery", StringComparison.Ordinal));
        await using var connection = new NpgsqlConnection(await again.ConnectionStringAsync("ordersdb", ct));
        await connection.OpenAsync(ct);
        await using var query = new NpgsqlCommand("SELECT status FROM orders WHERE order_id = @id", connection);
        query.Parameters.AddWithValue("id", Guid.Parse(orderId));
        Assert.Equal((short)2, (short?)await query.ExecuteScalarAsync(ct)); // 2: confirmed
    }

    [Fact]
    public async Task Kill_9_of_the_app_host_leaves_no_service_PostgreSQL_broker_or_DCP_process_and_no_port_behind()
    {
        var ct = TestContext.Current.CancellationToken;
        var log = TestOutput.Sink();
        using var data = new TemporaryDataFolder();
        await using var host = AppHostProcess.Start([$"--Postgres:DataDirectory={data.Path}"], log);
        var gateway = await host.WaitUntilReadyAsync(StartTimeout, ct);
        var system = host.RememberSystem();
        SystemProbe.AssertHoldsEveryKind(system, data.Path);
        var ports = ProcessTable.ListeningPorts(system.Select(entry => entry.Pid));
        // Among them: the dashboard, the gateway (DCP's proxy), PostgreSQL and the broker inside the app host.
        Assert.Contains(host.DashboardUrl!.Port, ports);
        Assert.Contains(gateway.Port, ports);
        var postgresPort = int.Parse(PostgresPort().Match(SystemProbe.PostgresServer(system, data.Path)!.CommandLine).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(postgresPort, ports);
        var kafka = ProcessTable.Environment(SystemProbe.ServiceProcess(system, "orders")!.Pid)["ConnectionStrings__kafka"];
        Assert.Contains(int.Parse(kafka[(kafka.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture), ports);

        var clock = Stopwatch.StartNew();
        host.KillHard();
        Assert.True(await host.WaitForExitAsync(TimeSpan.FromSeconds(30)), "The app host did not die of SIGKILL.");
        await AssertAllGoneAsync(system, ports);
        // No DCP server is left watching the dead pid either (none was started after the snapshot).
        Assert.Empty(ProcessTable.SystemOf(host.Pid));
        log($"kill -9: every process of the system was gone {clock.Elapsed.TotalSeconds:0.0} s after the app host died.");
    }

    /// <summary>Waits (bounded) until none of <paramref name="system"/> runs and none of <paramref name="ports"/> is listened on.</summary>
    private static async Task AssertAllGoneAsync(IReadOnlyList<ProcessTable.Entry> system, IReadOnlySet<int> ports) =>
        await Eventually.UntilAsync(
            () => Task.FromResult((Processes: system.Where(ProcessTable.IsRunning).ToList(), Ports: ports.Intersect(ProcessTable.ListeningPorts()).ToList())),
            left => left.Processes.Count == 0 && left.Ports.Count == 0,
            left => $"still running:{Environment.NewLine}{string.Join(Environment.NewLine, left.Processes)}{Environment.NewLine}still listened on: {string.Join(", ", left.Ports)}",
            CleanupTimeout);

    private static string PostgresProgramsFolder()
    {
        // PATH may hold links to Debian's folder, which has pg_controldata too.
        var server = new FileInfo(Path.Combine(PostgresBinaries.Locate(configuredFolder: null, "Postgres:BinDirectory"), "postgres"));
        return (server.ResolveLinkTarget(returnFinalTarget: true) as FileInfo)?.DirectoryName ?? server.DirectoryName!;
    }

    private static async Task<string> RunAsync(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, $"{program} exited with {process.ExitCode}: {error}");
        return output;
    }

    [GeneratedRegex(@"(?m)^Database cluster state:\s+shut down\s*$")]
    private static partial Regex ClusterShutDown();

    [GeneratedRegex(@" -p (\d+) ")]
    private static partial Regex PostgresPort();
}
