using System.Data.Common;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Checkout.ServiceDefaults.Postgres;

public static class ServiceDatabaseExtensions
{
    /// <summary>Statements prepared automatically per connection unless the connection string sets "Max Auto Prepare".</summary>
    public const int MaxAutoPrepare = 64;

    /// <summary>
    /// The service's own PostgreSQL database, through Aspire.Npgsql's <c>AddNpgsqlDataSource(connectionName)</c>: one
    /// pooled <see cref="NpgsqlDataSource"/> from <c>ConnectionStrings__{connectionName}</c>, its health check, traces
    /// and metrics. On top of it, unless the connection string says otherwise: automatic statement preparation (the
    /// services repeat a few statements thousands of times a second; preparing them once per connection spares
    /// PostgreSQL their parse and plan), and no reset of a connection given back to the pool (Npgsql's default sends
    /// one ahead of the connection's next statement, as a transaction of its own: one more commit per use of a
    /// connection, for session state the services never leave behind: they change settings with SET LOCAL only and
    /// release the one session lock they take). And the <see cref="DatabaseMigrator"/> that
    /// <see cref="MigrateDatabaseAsync"/> runs.
    /// </summary>
    public static IHostApplicationBuilder AddServiceDatabase(this IHostApplicationBuilder builder, string connectionName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionName);
        builder.AddNpgsqlDataSource(connectionName, configureDataSourceBuilder: ApplyServiceSettings);
        builder.Services.AddSingleton<DatabaseMigrator>();
        return builder;
    }

    /// <summary>Applies the migrations embedded in <paramref name="migrationsAssembly"/>; call it before the host runs.</summary>
    public static Task MigrateDatabaseAsync(this IHost host, Assembly migrationsAssembly, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        return host.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(migrationsAssembly, cancellationToken);
    }

    internal static void ApplyServiceSettings(NpgsqlDataSourceBuilder dataSource)
    {
        // Read as a plain connection string: Npgsql's own builder says it "contains" every keyword it knows.
        var given = new DbConnectionStringBuilder { ConnectionString = dataSource.ConnectionString };
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
            dataSource.ConnectionStringBuilder.MaxAutoPrepare = MaxAutoPrepare;
        if (!given.ContainsKey("No Reset On Close") && !given.ContainsKey("NoResetOnClose"))
            dataSource.ConnectionStringBuilder.NoResetOnClose = true;
    }
}
