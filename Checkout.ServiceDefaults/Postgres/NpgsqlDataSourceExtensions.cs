// Stands in for Aspire's Npgsql client integration (Aspire.Npgsql), which this machine's NuGet source does not
// hold: the same call, builder.AddNpgsqlDataSource("<name>"), reads ConnectionStrings:<name> as an Aspire host
// provides it, registers one pooled NpgsqlDataSource and a health check on it. Npgsql emits its own traces and
// metrics (ActivitySource and Meter "Npgsql"), which ServiceDefaults' telemetry subscribes to.
using System.Data.Common;
using Checkout.ServiceDefaults.Grpc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Checkout.ServiceDefaults.Postgres;

public static class NpgsqlDataSourceExtensions
{
    /// <summary>Statements prepared automatically per connection unless the connection string sets "Max Auto Prepare".</summary>
    public const int MaxAutoPrepare = 64;

    /// <summary>
    /// Registers an <see cref="NpgsqlDataSource"/> for the connection string named <paramref name="connectionName"/>
    /// and a readiness check that opens a connection through it. A database outage that escapes a gRPC handler ends
    /// the call with UNAVAILABLE (see <see cref="DatabaseOutage"/>), so no handler needs to catch it.
    /// </summary>
    public static IHostApplicationBuilder AddNpgsqlDataSource(this IHostApplicationBuilder builder, string connectionName)
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"No connection string '{connectionName}': set ConnectionStrings__{connectionName} " +
                "(the AppHost does this for every service it starts).");
        }

        var dataSource = new NpgsqlDataSourceBuilder(connectionString) { Name = connectionName };
        // The services repeat a few statements (handlers, outbox, inbox) thousands of times a second: preparing them
        // once per connection spares PostgreSQL the parse and plan of each. The connection string can still override it.
        // (Parsed as a plain connection string: Npgsql's own builder says it "contains" every keyword it knows.)
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
            dataSource.ConnectionStringBuilder.MaxAutoPrepare = MaxAutoPrepare;
        builder.Services.AddSingleton(_ => dataSource.Build());
        builder.Services.AddSingleton<DatabaseMigrator>();
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            $"postgres-{connectionName}",
            sp => new NpgsqlHealthCheck(sp.GetRequiredService<NpgsqlDataSource>()),
            HealthStatus.Unhealthy,
            ["ready"]));
        builder.Services.Configure<GrpcServiceOptions>(options => options.ExceptionStatusMappings.Add(DatabaseOutage.ToStatus));
        return builder;
    }

    /// <summary>Applies the migrations embedded in <paramref name="migrationsAssembly"/>; call it before the host runs.</summary>
    public static Task MigrateDatabaseAsync(this IHost host, System.Reflection.Assembly migrationsAssembly, CancellationToken cancellationToken = default) =>
        host.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(migrationsAssembly, cancellationToken);

    private sealed class NpgsqlHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var command = dataSource.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                // The exception is kept for logs; /health shows only the check's status.
                return HealthCheckResult.Unhealthy("PostgreSQL is not reachable.", ex);
            }
        }
    }
}
