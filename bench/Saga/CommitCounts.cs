using System.Globalization;
using Checkout.Contracts;
using Checkout.Testing.AppHost;
using Npgsql;

namespace Checkout.Bench.Saga;

/// <summary>
/// PostgreSQL's count of committed transactions (pg_stat_database.xact_commit) of each service's database, read
/// together: what a run cost in commits, per database. Read-only transactions count as well: each is a round trip
/// and a snapshot, if not a WAL flush.
/// </summary>
internal sealed record CommitCounts(IReadOnlyDictionary<string, double> ByDatabase)
{
    private static readonly string[] Databases =
        [DatabaseNames.Catalog, DatabaseNames.Orders, DatabaseNames.Inventory, DatabaseNames.Payments, DatabaseNames.Notifications];

    public double Total => ByDatabase.Values.Sum();

    public static async Task<CommitCounts> TakeAsync(CheckoutApp system)
    {
        await using var connection = new NpgsqlConnection(await system.ConnectionStringAsync(DatabaseNames.Orders));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT datname, xact_commit::float8 FROM pg_stat_database WHERE datname = ANY(@names)", connection);
        command.Parameters.AddWithValue("names", Databases);
        var counts = new Dictionary<string, double>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            counts[reader.GetString(0)] = reader.GetDouble(1);
        return new CommitCounts(counts);
    }

    /// <summary>What happened since <paramref name="before"/>, less <paramref name="idle"/> (a rate per second) over <paramref name="elapsed"/>.</summary>
    public CommitCounts Since(CommitCounts before, CommitCounts? idle = null, TimeSpan elapsed = default) =>
        new(ByDatabase.ToDictionary(
            entry => entry.Key,
            entry => entry.Value - before.ByDatabase.GetValueOrDefault(entry.Key) - (idle?.ByDatabase.GetValueOrDefault(entry.Key) ?? 0) * elapsed.TotalSeconds,
            StringComparer.Ordinal));

    public CommitCounts PerSecond(TimeSpan elapsed) =>
        new(ByDatabase.ToDictionary(entry => entry.Key, entry => entry.Value / elapsed.TotalSeconds, StringComparer.Ordinal));

    /// <summary>"ordersdb 2.1, inventorydb 1.4, ..." per checkout.</summary>
    public string DescribePer(int checkouts) => string.Join(", ",
        Databases.Select(database => string.Create(CultureInfo.InvariantCulture, $"{database} {ByDatabase.GetValueOrDefault(database) / checkouts:0.0}")));
}
