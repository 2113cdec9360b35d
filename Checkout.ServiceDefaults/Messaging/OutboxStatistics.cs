using Dapper;
using Npgsql;

namespace Checkout.ServiceDefaults.Messaging;

/// <summary>The outbox backlog (rows not yet published) and the age of its oldest row, read from the database.</summary>
public sealed class OutboxStatistics(NpgsqlDataSource dataSource, TimeProvider timeProvider)
{
    public readonly record struct Snapshot(long Backlog, TimeSpan OldestAge);

    /// <summary>The last snapshot read (what the metrics report).</summary>
    public Snapshot Current { get; private set; }

    public async Task<Snapshot> RefreshAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var (backlog, oldest) = await connection.QuerySingleAsync<(long, DateTime?)>(new CommandDefinition(
            "SELECT count(*), min(created_at) FROM messaging.outbox WHERE sent_at IS NULL", cancellationToken: cancellationToken));
        var age = oldest is { } created ? timeProvider.GetUtcNow() - new DateTimeOffset(created, TimeSpan.Zero) : TimeSpan.Zero;
        return Current = new Snapshot(backlog, age < TimeSpan.Zero ? TimeSpan.Zero : age);
    }
}
