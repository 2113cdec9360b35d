using System.Net;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Checkout.ServiceDefaults.Postgres;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Checkout.ServiceDefaults.Tests;

/// <summary>
/// AddServiceDatabase (Aspire.Npgsql's data source with our settings) against real PostgreSQL: what it does to the
/// connections a service gets, and how its health check reports the database.
/// </summary>
public sealed class ServiceDatabaseTests(PostgresFixture postgres)
{
    private const string ConnectionName = "servicedb";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_statement_run_often_is_prepared_on_the_server_unless_the_connection_string_says_otherwise()
    {
        var connectionString = await postgres.CreateDatabaseAsync("prepare");

        Assert.Equal(1, await PreparedAfterRepeatsAsync(connectionString));
        Assert.Equal(0, await PreparedAfterRepeatsAsync(connectionString + ";Max Auto Prepare=0"));
    }

    [Fact]
    public async Task A_pooled_connection_used_again_costs_PostgreSQL_no_transaction_of_its_own()
    {
        const int Uses = 40;
        var connectionString = await postgres.CreateDatabaseAsync("reuse");
        using var host = ServiceDatabaseHost(connectionString);
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        await using (var warm = await dataSource.OpenConnectionAsync(Ct))
        {
            await warm.ExecuteScalarAsync<int>("SELECT 1");
        }

        var before = await CommitsAsync(dataSource);
        for (var i = 0; i < Uses; i++)
        {
            // What a service does per request: take a connection from the pool, run one statement, give it back.
            await using var connection = await dataSource.OpenConnectionAsync(Ct);
            await connection.ExecuteScalarAsync<int>("SELECT @value + 1", new { value = i });
        }

        // Each use is one transaction; resetting the connection on its return to the pool (Npgsql's default, sent ahead of
        // the next statement as a statement of its own) would make it two. The counting itself adds two statements.
        Assert.Equal(Uses + 2, await CommitsAsync(dataSource) - before);
    }

    [Fact]
    public async Task Health_is_unhealthy_while_the_database_is_unreachable_and_healthy_again_once_it_is_back()
    {
        var connectionString = await postgres.CreateDatabaseAsync("health");
        try
        {
            await using var service = await RunningApp.StartAsync(
                builder =>
                {
                    builder.AddServiceDefaults();
                    builder.AddServiceDatabase(ConnectionName);
                },
                app => app.MapDefaultEndpoints(),
                new Dictionary<string, string?> { [$"ConnectionStrings:{ConnectionName}"] = connectionString });
            using var client = new HttpClient { BaseAddress = service.Address };

            var (status, database) = await DatabaseHealthAsync(client);
            Assert.Equal((HttpStatusCode.OK, "Healthy"), (status, database));

            // The shared server, stopped and started again through the app model (as the dashboard's Stop and Start do),
            // on the same port: the service's connection string stays right.
            await postgres.App.StopAsync(PostgresFixture.Server, Ct);
            await Eventually.UntilAsync(
                () => DatabaseHealthAsync(client),
                health => health == (HttpStatusCode.ServiceUnavailable, "Unhealthy"),
                health => $"/health answered {health} with the database stopped");
            using (var alive = await client.GetAsync("/alive", Ct))
            {
                Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
            }

            await postgres.App.StartAsync(PostgresFixture.Server, Ct);
            await Eventually.UntilAsync(
                () => DatabaseHealthAsync(client),
                health => health == (HttpStatusCode.OK, "Healthy"),
                health => $"/health answered {health} with the database back");
        }
        finally
        {
            // Whatever failed above, the other tests get the server back.
            if (postgres.App.App.ResourceNotifications.TryGetCurrentState(PostgresFixture.Server, out var server)
                && server.Snapshot.State?.Text != KnownResourceStates.Running)
            {
                await postgres.App.StartAsync(PostgresFixture.Server, CancellationToken.None);
            }
        }
    }

    // /health's status code and the status of the database's check (the one check AddServiceDatabase adds).
    private static async Task<(HttpStatusCode Status, string? Database)> DatabaseHealthAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/health", Ct);
        using var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var database = Assert.Single(report.RootElement.GetProperty("checks").EnumerateObject(), check => check.Name != "self");
        TestContext.Current.TestOutputHelper?.WriteLine($"{database.Name}: {database.Value}");
        return (response.StatusCode, database.Value.GetString());
    }

    // This pooled connection's transactions committed so far in its database: its pending statistics flushed first, so
    // that PostgreSQL's counters include them (backends report them only every second or so).
    private static async Task<long> CommitsAsync(NpgsqlDataSource dataSource)
    {
        await using (var connection = await dataSource.OpenConnectionAsync(Ct))
        {
            await connection.ExecuteAsync("SELECT pg_stat_force_next_flush()");
        }

        await using var reader = await dataSource.OpenConnectionAsync(Ct);
        return await reader.ExecuteScalarAsync<long>("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()");
    }

    private static IHost ServiceDatabaseHost(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [$"ConnectionStrings:{ConnectionName}"] = connectionString });
        builder.AddServiceDatabase(ConnectionName);
        return builder.Build();
    }

    // Runs one statement a few more times than Npgsql's threshold for preparing it, then asks the server how many
    // statements this connection has prepared.
    private static async Task<long> PreparedAfterRepeatsAsync(string connectionString)
    {
        using var host = ServiceDatabaseHost(connectionString);
        await using var connection = await host.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(Ct);
        for (var i = 0; i < 10; i++)
        {
            await connection.ExecuteScalarAsync<int>("SELECT @value + 1", new { value = i });
        }

        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_prepared_statements WHERE statement = 'SELECT $1 + 1'");
    }
}
