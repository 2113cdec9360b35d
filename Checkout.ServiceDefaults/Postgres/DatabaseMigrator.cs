using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Checkout.ServiceDefaults.Postgres;

/// <summary>
/// Applies a service's versioned SQL migrations at start-up: embedded resources named
/// <c>Migrations/NNNN_description.sql</c>, in order, each in its own transaction, recorded in
/// <c>schema_migrations</c> with a checksum. Safe to run twice and from two instances at once: an advisory lock
/// serialises runners, and an applied migration whose file has changed since is an error, not a silent skip.
/// </summary>
public sealed class DatabaseMigrator(NpgsqlDataSource dataSource, ILogger<DatabaseMigrator> logger)
{
    // Any constant works; it only has to be the same for every runner of one database.
    private const long MigrationLockKey = 0x436865636b6f7574; // "Checkout"

    public Task MigrateAsync(Assembly migrationsAssembly, CancellationToken cancellationToken = default) =>
        MigrateAsync(LoadMigrations(migrationsAssembly), cancellationToken);

    internal async Task MigrateAsync(IReadOnlyList<Migration> migrations, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@key)", new { key = MigrationLockKey }, cancellationToken: cancellationToken));
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    text PRIMARY KEY,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, cancellationToken: cancellationToken));
            var applied = (await connection.QueryAsync<(string Version, string Checksum)>(
                    new CommandDefinition("SELECT version, checksum FROM schema_migrations", cancellationToken: cancellationToken)))
                .ToDictionary(row => row.Version, row => row.Checksum, StringComparer.Ordinal);

            foreach (var migration in migrations)
            {
                if (applied.TryGetValue(migration.Version, out var checksum))
                {
                    if (checksum != migration.Checksum)
                    {
                        throw new InvalidOperationException(
                            $"Migration {migration.Version} was changed after it was applied to database '{connection.Database}'. " +
                            "Applied migrations are immutable: add a new migration instead.");
                    }
                    continue;
                }

                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                try
                {
                    await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, cancellationToken: cancellationToken));
                }
                catch (PostgresException ex)
                {
                    throw new InvalidOperationException(
                        $"Migration {migration.Version} failed on database '{connection.Database}' and was rolled back: {ex.MessageText}", ex);
                }
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO schema_migrations (version, checksum) VALUES (@Version, @Checksum)",
                    migration, transaction, cancellationToken: cancellationToken));
                await transaction.CommitAsync(cancellationToken);
                logger.LogInformation("Applied migration {MigrationVersion} to database {Database}", migration.Version, connection.Database);
            }
        }
        finally
        {
            await connection.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key = MigrationLockKey });
        }
    }

    private static List<Migration> LoadMigrations(Assembly assembly)
    {
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            // Embedded as <RootNamespace>.Migrations.0001_create_orders.sql
            var marker = resource.IndexOf(".Migrations.", StringComparison.Ordinal);
            if (marker < 0 || !resource.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            var version = resource[(marker + ".Migrations.".Length)..^".sql".Length];
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var sql = reader.ReadToEnd();
            migrations.Add(new Migration(version, sql));
        }

        if (migrations.Count == 0)
        {
            throw new InvalidOperationException(
                $"No migrations found in {assembly.GetName().Name}: embed them with <EmbeddedResource Include=\"Migrations/*.sql\" />.");
        }

        migrations.Sort((a, b) => string.CompareOrdinal(a.Version, b.Version));
        return migrations;
    }

    internal sealed record Migration(string Version, string Sql)
    {
        public string Checksum { get; } = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
    }
}
