using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Checkout.AppHost.Integrations.Postgres;
using Dapper;
using Npgsql;

namespace Checkout.Infrastructure.Tests;

/// <summary>
/// The embedded PostgreSQL as the dashboard and the app model see it when it crashes or is stopped: its state, exit
/// code and log tell what happened, and a start through the app model brings it back where it was.
/// </summary>
public sealed class EmbeddedPostgresTests(EmbeddedPostgresFixture fixture) : IClassFixture<EmbeddedPostgresFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private DistributedApplication App => fixture.App.App;

    [Fact]
    public async Task A_database_the_app_host_names_is_created_and_healthy()
    {
        var state = App.ResourceNotifications.TryGetCurrentState(EmbeddedPostgresFixture.Database, out var database) ? database.Snapshot : null;
        Assert.Equal(KnownResourceStates.Running, state?.State?.Text);
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, state?.HealthStatus);

        // The pool may hold connections to a server an earlier test stopped or killed.
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(await fixture.App.ConnectionStringAsync(EmbeddedPostgresFixture.Database, Ct));
        Assert.Equal(EmbeddedPostgresFixture.Database, await connection.ExecuteScalarAsync<string>("SELECT current_database()"));
        Assert.Equal(fixture.Resource.Port, await connection.ExecuteScalarAsync<int>("SELECT current_setting('port')::int"));
    }

    [Fact]
    public async Task A_server_killed_with_signal_9_shows_its_exit_code_and_why_and_starts_again_through_the_app_model_on_its_port_and_data()
    {
        var database = await fixture.App.ConnectionStringAsync(EmbeddedPostgresFixture.Database, Ct);
        var table = $"kept_{Guid.NewGuid():N}";
        await WriteRowAsync(database, table, "committed before the crash");
        var postmaster = ProcessTable.PostmasterPid(fixture.Resource.DataDirectory);

        Kill(postmaster);

        var crashed = await WaitForTerminalStateAsync();
        // Aspire's state for an executable whose process ended, whatever its exit code.
        Assert.Equal(KnownResourceStates.Finished, crashed.State?.Text);
        Assert.Equal(128 + 9, crashed.ExitCode);
        // What the server printed while it ran, then why it ended (it cannot say so itself after SIGKILL).
        var log = await ResourceLogs.WaitForLineAsync(App, EmbeddedPostgresFixture.Server, $"postgres (pid {postmaster}) was ended by signal 9 (SIGKILL); exit code 137");
        Assert.Contains(log, line => line.Contains("database system is ready to accept connections", StringComparison.Ordinal));
        Assert.Contains("Database cluster state:               in production", await ControlDataAsync());

        await fixture.App.StartAsync(EmbeddedPostgresFixture.Server, Ct);

        Assert.Equal("committed before the crash", await ReadRowAsync(database, table));
        await ResourceLogs.WaitForLineAsync(App, EmbeddedPostgresFixture.Server, "database system was not properly shut down; automatic recovery in progress");
        Assert.NotEqual(postmaster, ProcessTable.PostmasterPid(fixture.Resource.DataDirectory));
        await App.ResourceNotifications.WaitForResourceHealthyAsync(EmbeddedPostgresFixture.Database, Ct);
    }

    [Fact]
    public async Task A_stop_through_the_app_model_ends_open_sessions_at_once_and_shuts_the_cluster_down_cleanly()
    {
        var database = await fixture.App.ConnectionStringAsync(EmbeddedPostgresFixture.Database, Ct);
        var table = $"kept_{Guid.NewGuid():N}";
        await WriteRowAsync(database, table, "committed before the stop");
        var processes = ProcessTable.ServerProcesses(fixture.Resource.DataDirectory);
        // A session idle in a transaction: PostgreSQL's default (smart) shutdown would wait for it for ever.
        await using var session = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { Pooling = false }.ConnectionString);
        await session.OpenAsync(Ct);
        await using var transaction = await session.BeginTransactionAsync(Ct);
        await session.ExecuteAsync($"INSERT INTO {table} (note) VALUES ('never committed')", transaction: transaction);

        var stopping = Stopwatch.StartNew();
        await fixture.App.StopAsync(EmbeddedPostgresFixture.Server, Ct);
        stopping.Stop();

        var stopped = App.ResourceNotifications.TryGetCurrentState(EmbeddedPostgresFixture.Server, out var resource) ? resource.Snapshot : null;
        Assert.Equal(0, stopped?.ExitCode);
        Assert.InRange(stopping.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(15));
        await ResourceLogs.WaitForLineAsync(App, EmbeddedPostgresFixture.Server, "received fast shutdown request");
        Assert.Contains("Database cluster state:               shut down", await ControlDataAsync());
        Assert.All(processes, pid => Assert.False(ProcessTable.IsRunning(pid), $"process {pid} of the stopped server still runs"));
        Assert.True(AppHost.Integrations.LoopbackPorts.IsFree(fixture.Resource.Port));

        await fixture.App.StartAsync(EmbeddedPostgresFixture.Server, Ct);

        Assert.Equal("committed before the stop", await ReadRowAsync(database, table));
        await App.ResourceNotifications.WaitForResourceHealthyAsync(EmbeddedPostgresFixture.Database, Ct);
    }

    [Fact]
    public async Task A_start_through_the_app_model_that_cannot_succeed_explains_itself_and_a_later_one_succeeds()
    {
        await fixture.App.StopAsync(EmbeddedPostgresFixture.Server, Ct);
        var port = fixture.Resource.Port;
        string expected = $"PostgreSQL '{EmbeddedPostgresFixture.Server}' cannot start: port {port} on 127.0.0.1 is already in use by another process. " +
            "Set Postgres:Port to a free port, or to 0 for one picked at each start of the app host.";
        using (var occupant = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port))
        {
            // Another program took the port while the server was stopped.
            occupant.Start();

            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => fixture.App.StartAsync(EmbeddedPostgresFixture.Server, Ct));

            Assert.Equal($"{KnownResourceCommands.StartCommand} of '{EmbeddedPostgresFixture.Server}' failed: {expected}", error.Message);
            Assert.True(App.ResourceNotifications.TryGetCurrentState(EmbeddedPostgresFixture.Server, out var failed));
            Assert.Equal(KnownResourceStates.FailedToStart, failed.Snapshot.State?.Text);
            Assert.Contains(expected, await ResourceLogs.ReadAsync(App, EmbeddedPostgresFixture.Server));
        }

        await fixture.App.StartAsync(EmbeddedPostgresFixture.Server, Ct);

        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(await fixture.App.ConnectionStringAsync(EmbeddedPostgresFixture.Database, Ct));
        Assert.Equal(port, await connection.ExecuteScalarAsync<int>("SELECT current_setting('port')::int"));
    }

    private async Task<CustomResourceSnapshot> WaitForTerminalStateAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var resourceEvent = await App.ResourceNotifications.WaitForResourceAsync(
            EmbeddedPostgresFixture.Server, e => e.Snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state), timeout.Token);
        return resourceEvent.Snapshot;
    }

    // pg_controldata reads the cluster's control file: "shut down" after a clean shutdown, "in production" while running or after a crash.
    private async Task<string> ControlDataAsync()
    {
        // Next to the server program the app host runs (PATH may hold only links to postgres and initdb).
        var postgres = new FileInfo(Path.Combine(PostgresBinaries.Locate(null, "Postgres:BinDirectory"), "postgres"));
        var program = Path.Combine(Path.GetDirectoryName(postgres.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? postgres.FullName)!, "pg_controldata");
        using var process = Process.Start(new ProcessStartInfo(program, [fixture.Resource.DataDirectory]) { RedirectStandardOutput = true })!;
        var output = await process.StandardOutput.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.Equal(0, process.ExitCode);
        return output;
    }

    private static void Kill(int pid)
    {
        using var kill = Process.Start("kill", ["-KILL", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    private static async Task WriteRowAsync(string database, string table, string note)
    {
        // The pool may hold connections to a server an earlier test stopped or killed.
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(database);
        await connection.ExecuteAsync($"CREATE TABLE {table} (note text NOT NULL); INSERT INTO {table} (note) VALUES (@note)", new { note });
    }

    private static async Task<string> ReadRowAsync(string database, string table)
    {
        // The pool still holds connections to the server that went away: start afresh.
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(database);
        return await connection.QuerySingleAsync<string>($"SELECT note FROM {table}");
    }
}
