using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Checkout.AppHost.Integrations.Postgres;

/// <summary>Creates databases on a PostgreSQL server, embedded or external, the way a host provisions them for its projects.</summary>
internal static partial class PostgresDatabases
{
    /// <summary>
    /// Creates database <paramref name="name"/> unless it exists, connecting with <paramref name="serverConnectionString"/>
    /// (any database of the server, by a role allowed to create databases); safe to call concurrently.
    /// </summary>
    internal static async Task CreateIfMissingAsync(string serverConnectionString, string name, ILogger logger, CancellationToken cancellationToken)
    {
        if (name is null || !DatabaseName().IsMatch(name))
        {
            throw new ArgumentException(
                $"'{name}' is not a valid database name: use 1-63 ASCII letters, digits or underscores, starting with a letter or underscore.",
                nameof(name));
        }

        // Not pooled: an administrative connection should not stay open in a pool after this call.
        var connectionString = new NpgsqlConnectionStringBuilder(serverConnectionString) { Pooling = false }.ConnectionString;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var exists = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", connection))
        {
            exists.Parameters.Add(new NpgsqlParameter { Value = name });
            if (await exists.ExecuteScalarAsync(cancellationToken) is true)
            {
                return;
            }
        }

        try
        {
            // CREATE DATABASE takes no parameters and has no IF NOT EXISTS; the name was validated above and is quoted.
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
            logger.LogInformation("Created database {Database} on {Host}:{Port}", name, connection.Host, connection.Port);
        }
        catch (PostgresException exception) when (exception.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // A concurrent caller created it between our check and our CREATE: the database exists, as asked.
        }
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex DatabaseName();
}
