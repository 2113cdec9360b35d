using System.ComponentModel.DataAnnotations;

namespace Checkout.ServiceDefaults.Messaging;

public sealed class OutboxOptions
{
    /// <summary>
    /// Fallback poll: rows committed through IOutbox.CommitAsync or by a consumer wake this instance's dispatcher at
    /// once; rows committed otherwise (or left by an instance that stopped) are found by this poll.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most rows published per round (one database transaction).</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// Rounds in flight at once in one instance: while one waits for the broker's acknowledgements, another claims
    /// the next rows. Safe for the same reason two instances are (a claimed key is invisible to other rounds).
    /// </summary>
    [Range(1, 16)]
    public int Concurrency { get; set; } = 2;

    /// <summary>How long the broker may take to acknowledge a publish before the round fails and is retried.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First and largest wait between failed rounds (exponential backoff with jitter in between).</summary>
    public TimeSpan RetryMinDelay { get; set; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long sent outbox rows (and inbox rows) are kept before they are deleted.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The outbox health check reports unhealthy when the oldest unsent row is older than this.</summary>
    public TimeSpan UnhealthyAge { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the backlog metrics are refreshed from the database.</summary>
    public TimeSpan StatisticsInterval { get; set; } = TimeSpan.FromSeconds(5);
}
