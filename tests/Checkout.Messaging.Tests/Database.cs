using Dapper;
using Npgsql;

namespace Checkout.Messaging.Tests;

/// <summary>The test services' own tables: business changes written next to events, and handlers' effects.</summary>
internal static class Database
{
    public sealed record Effect(long Id, Guid MessageId, string MessageKey, long Seq, string Instance);

    public static async Task CreateTablesAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.ExecuteAsync(
            """
            CREATE TABLE business_changes (id bigserial PRIMARY KEY, message_key text NOT NULL, seq bigint NOT NULL);
            -- No unique constraint on message_id: a handler running twice for one message must show as two rows.
            CREATE TABLE effects (id bigserial PRIMARY KEY, message_id uuid NOT NULL, message_key text NOT NULL, seq bigint NOT NULL, instance text NOT NULL);
            """);
    }

    public static async Task<List<Effect>> EffectsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return (await connection.QueryAsync<Effect>(
            "SELECT id AS Id, message_id AS MessageId, message_key AS MessageKey, seq AS Seq, instance AS Instance FROM effects ORDER BY id")).AsList();
    }

    public static async Task<long> UnsentAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM messaging.outbox WHERE sent_at IS NULL");
    }

    public static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return await connection.ExecuteScalarAsync<long>(sql);
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.ExecuteAsync(sql);
    }
}
