using Aspire.Hosting.ApplicationModel;
using Checkout.AppHost.Integrations;
using Checkout.AppHost.Integrations.Postgres;
using Checkout.Contracts;
using Checkout.Testing.AppHost;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Checkout.Infrastructure.Tests;

/// <summary>
/// The embedded PostgreSQL's data folder across runs of the app host, as a container's volume would be: created
/// (initdb) on the first, kept and found again by the next, with nothing of the server left between them.
/// </summary>
public sealed class EmbeddedPostgresDataFolderTests
{
    private const string Server = "postgres";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_first_run_creates_the_cluster_and_a_second_app_on_the_same_folder_finds_its_data_and_adds_missing_databases()
    {
        using var folder = new TemporaryFolder();
        var dataDirectory = Path.Combine(folder.Path, "data");

        var first = await StartAsync(dataDirectory, [Server, DatabaseNames.Catalog]);
        ServerTrace firstServer;
        try
        {
            Assert.True(File.Exists(Path.Combine(dataDirectory, "PG_VERSION")));
            await ResourceLogs.WaitForLineAsync(first.App, Server, $"Creating a PostgreSQL cluster in {dataDirectory}");
            await using var connection = new NpgsqlConnection(await first.ConnectionStringAsync(DatabaseNames.Catalog, Ct));
            await connection.ExecuteAsync("CREATE TABLE kept (note text NOT NULL); INSERT INTO kept VALUES ('written by the first run')");
            firstServer = ServerTrace.Of(first, dataDirectory);
        }
        finally
        {
            // As the end of `dotnet run` does.
            await first.DisposeAsync();
        }

        firstServer.AssertNothingOutlived();

        var second = await StartAsync(dataDirectory, [Server, DatabaseNames.Catalog, DatabaseNames.Orders]);
        ServerTrace secondServer;
        try
        {
            var log = await ResourceLogs.WaitForLineAsync(second.App, Server, "database system is ready to accept connections");
            Assert.DoesNotContain(log, line => line.Contains("Creating a PostgreSQL cluster", StringComparison.Ordinal));
            // The first run's stop was a clean shutdown: no crash recovery at this start.
            Assert.Contains(log, line => line.Contains("database system was shut down at", StringComparison.Ordinal));
            Assert.DoesNotContain(log, line => line.Contains("automatic recovery in progress", StringComparison.Ordinal));

            await using (var catalog = new NpgsqlConnection(await second.ConnectionStringAsync(DatabaseNames.Catalog, Ct)))
                Assert.Equal("written by the first run", await catalog.QuerySingleAsync<string>("SELECT note FROM kept"));
            // ordersdb was missing: created, and healthy (CheckoutApp waited for it).
            await using (var orders = new NpgsqlConnection(await second.ConnectionStringAsync(DatabaseNames.Orders, Ct)))
                Assert.Equal(DatabaseNames.Orders, await orders.ExecuteScalarAsync<string>("SELECT current_database()"));
            secondServer = ServerTrace.Of(second, dataDirectory);
        }
        finally
        {
            await second.DisposeAsync();
        }

        secondServer.AssertNothingOutlived();
    }

    private static Task<CheckoutApp> StartAsync(string dataDirectory, IReadOnlyList<string> resources) =>
        CheckoutApp.StartAsync(new CheckoutAppOptions { Resources = resources, Arguments = [$"--Postgres:DataDirectory={dataDirectory}"] }, Ct);

    /// <summary>What a running server holds (its processes, its port), to check after its app ended that nothing of it is left.</summary>
    private sealed record ServerTrace(IReadOnlyList<int> Processes, int Port, string DataDirectory)
    {
        public static ServerTrace Of(CheckoutApp app, string dataDirectory)
        {
            var server = app.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<EmbeddedPostgresResource>().Single();
            var trace = new ServerTrace(ProcessTable.ServerProcesses(dataDirectory), server.Port, dataDirectory);
            Assert.True(trace.Processes.Count > 1, "the server runs with its auxiliary processes");
            Assert.False(LoopbackPorts.IsFree(trace.Port));
            return trace;
        }

        public void AssertNothingOutlived()
        {
            Assert.All(Processes, pid => Assert.False(ProcessTable.IsRunning(pid), $"process {pid} of the server outlived the app"));
            Assert.True(LoopbackPorts.IsFree(Port), $"port {Port} is still in use after the app ended");
            Assert.False(File.Exists(Path.Combine(DataDirectory, "postmaster.pid")), "postmaster.pid is left: the server did not shut down cleanly");
        }
    }
}
