using Aspire.Hosting;
using Checkout.AppHost.Integrations.Kafka;
using Checkout.AppHost.Integrations.Postgres;
using Checkout.Contracts;
using Checkout.Testing;
using Checkout.Testing.AppHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Checkout.AppHost.Tests;

/// <summary>
/// Postgres:Mode=External and Kafka:Mode=External: the system on a server and a broker of the user's own, given by
/// connection strings; and the one message a user gets when the connection string is missing.
/// </summary>
public sealed class ExternalModeTests
{
    private static readonly string[] Databases =
        [DatabaseNames.Catalog, DatabaseNames.Orders, DatabaseNames.Inventory, DatabaseNames.Payments, DatabaseNames.Notifications];

    /// <summary>Generous: two apps start in the test's process on two cores that other people's work shares.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(6);

    [Fact]
    public async Task External_PostgreSQL_and_Kafka_get_the_databases_created_there_and_no_embedded_server_or_broker_is_started()
    {
        var ct = TestContext.Current.CancellationToken;
        // "The user's own" server and broker: the app host's embedded ones, run by another app of their own.
        await using var own = await CheckoutApp.StartAsync(new CheckoutAppOptions { Resources = ["postgres", "kafka"], StartTimeout = StartTimeout }, ct);
        var server = await own.ConnectionStringAsync("postgres", ct);
        var bootstrap = await own.ConnectionStringAsync("kafka", ct);
        Assert.Empty((await DatabasesAsync(server, ct)).Intersect(Databases));
        var serversBefore = PostgresServers();

        await using var app = await CheckoutApp.StartAsync(new CheckoutAppOptions
        {
            Arguments = ["--Postgres:Mode=External", $"--ConnectionStrings:postgres={server}", "--Kafka:Mode=External", $"--ConnectionStrings:kafka={bootstrap}"],
            StartTimeout = StartTimeout,
        }, ct);

        // Nothing embedded in the model, and no PostgreSQL process was started for it.
        var model = app.App.Services.GetRequiredService<DistributedApplicationModel>();
        Assert.IsType<ExternalPostgresResource>(model.Resources.Single(resource => resource.Name == "postgres"));
        Assert.Empty(model.Resources.OfType<EmbeddedPostgresResource>());
        Assert.Empty(model.Resources.OfType<EmbeddedKafkaResource>());
        Assert.Equal(serversBefore.Order(), PostgresServers().Order());

        // The databases were created on the user's server, and the services were given them there.
        Assert.Superset(new HashSet<string>(Databases, StringComparer.Ordinal), (await DatabasesAsync(server, ct)).ToHashSet(StringComparer.Ordinal));
        var expected = new NpgsqlConnectionStringBuilder(server);
        foreach (var database in Databases)
        {
            var given = new NpgsqlConnectionStringBuilder(await app.ConnectionStringAsync(database, ct));
            Assert.Equal((expected.Host, expected.Port, database), (given.Host, given.Port, given.Database));
        }

        Assert.Equal(bootstrap, await app.ConnectionStringAsync("kafka", ct));

        // And the saga runs through the user's broker: a checkout is confirmed.
        using var http = app.CreateGatewayClient();
        var checkout = new GatewayCheckout(http);
        var orderId = await checkout.PlaceAsync("external-mode", cancellationToken: ct);
        Assert.Equal("confirmed", await checkout.WaitUntilSettledAsync("external-mode", orderId, ct));
    }

    [Theory]
    [InlineData("Postgres", "postgres")]
    [InlineData("Kafka", "kafka")]
    public async Task External_mode_without_a_connection_string_stops_the_start_and_names_the_setting_to_give(string section, string name)
    {
        using var data = new TemporaryDataFolder();
        await using var host = AppHostProcess.Start([$"--Postgres:DataDirectory={data.Path}", $"--{section}:Mode=External"], TestOutput.Sink());
        Assert.True(await host.WaitForExitAsync(TimeSpan.FromMinutes(1)), "The app host did not stop within a minute.");
        Assert.NotEqual(0, host.ExitCode);
        Assert.Contains($"{section}:Mode is External but no connection string was given: set ConnectionStrings:{name}", host.Output, StringComparison.Ordinal);
    }

    private static async Task<IReadOnlyList<string>> DatabasesAsync(string server, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT datname FROM pg_database", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var names = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
            names.Add(reader.GetString(0));
        return names;
    }

    // The PostgreSQL servers this test process runs (through the DCP instances that monitor it).
    private static IReadOnlySet<int> PostgresServers() =>
        ProcessTable.SystemOf(Environment.ProcessId)
            .Where(entry => entry.CommandLine.StartsWith('/') && entry.CommandLine.Contains("postgres -D ", StringComparison.Ordinal))
            .Select(entry => entry.Pid)
            .ToHashSet();
}
