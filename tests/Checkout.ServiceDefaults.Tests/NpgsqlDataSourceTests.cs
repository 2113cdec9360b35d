using Checkout.AppHost.Infrastructure;
using Checkout.ServiceDefaults.Postgres;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Checkout.ServiceDefaults.Tests;

/// <summary>AddNpgsqlDataSource against a real PostgreSQL cluster: what it does to the connections a service gets.</summary>
public sealed class NpgsqlDataSourceTests : IAsyncLifetime
{
    private EmbeddedPostgres postgres = null!;

    public async ValueTask InitializeAsync()
    {
        postgres = await EmbeddedPostgres.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        await postgres.CreateDatabaseAsync("servicedb", TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync() => await postgres.DisposeAsync();

    [Fact]
    public async Task A_statement_run_often_is_prepared_on_the_server_unless_the_connection_string_says_otherwise()
    {
        Assert.True(await PreparedAfterRepeatsAsync(postgres.GetConnectionString("servicedb")) > 0);
        Assert.Equal(0, await PreparedAfterRepeatsAsync(postgres.GetConnectionString("servicedb") + ";Max Auto Prepare=0"));
    }

    // Runs one statement a few more times than Npgsql's threshold for preparing it, then asks the server.
    private static async Task<long> PreparedAfterRepeatsAsync(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:servicedb"] = connectionString });
        builder.AddNpgsqlDataSource("servicedb");
        using var host = builder.Build();
        await using var connection = await host.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(TestContext.Current.CancellationToken);
        for (var i = 0; i < 10; i++)
            await connection.ExecuteScalarAsync<int>("SELECT @value + 1", new { value = i });
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_prepared_statements");
    }
}
