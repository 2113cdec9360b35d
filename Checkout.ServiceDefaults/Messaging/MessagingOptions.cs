using System.ComponentModel.DataAnnotations;

namespace Checkout.ServiceDefaults.Messaging;

/// <summary>
/// Settings of the messaging component, bound from the "Messaging" configuration section. The broker comes from
/// ConnectionStrings:kafka (Aspire's convention); the outbox and inbox live in the service's database (AddNpgsqlDataSource).
/// </summary>
public sealed class MessagingOptions
{
    public const string SectionName = "Messaging";

    /// <summary>The service's name: the envelope's source and the Kafka consumer group. Defaults to the application name.</summary>
    public string? ServiceName { get; set; }

    /// <summary>Topics this service publishes to; created at start-up with the consumed topics and their dead-letter topics.</summary>
    public List<string> Topics { get; set; } = [];

    /// <summary>Partition count of the topics created at start-up.</summary>
    [Range(1, 10_000)]
    public int Partitions { get; set; } = 6;

    /// <summary>Replication factor of the topics created at start-up.</summary>
    [Range(1, 100)]
    public short ReplicationFactor { get; set; } = 1;

    /// <summary>librdkafka properties added to the producer's configuration (for example "linger.ms").</summary>
    public Dictionary<string, string> Producer { get; set; } = [];

    /// <summary>librdkafka properties added to consumers' configuration (for example "fetch.wait.max.ms").</summary>
    public Dictionary<string, string> Consumer { get; set; } = [];

    public OutboxOptions Outbox { get; set; } = new();

    public ConsumerOptions Consumers { get; set; } = new();
}

public sealed class OutboxOptions
{
    /// <summary>Fallback poll when no notification arrives (new rows wake the dispatcher at once through LISTEN/NOTIFY).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most rows published per round (one database transaction).</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 500;

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

public sealed class ConsumerOptions
{
    /// <summary>Attempts of a failing message before it goes to the dead-letter topic (&lt;topic&gt;.dlq).</summary>
    [Range(1, 1_000)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>First and largest wait between attempts (exponential backoff with jitter in between).</summary>
    public TimeSpan RetryMinDelay { get; set; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most messages of one partition handled in one database transaction with one inbox insert.</summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 200;

    /// <summary>Messages buffered per partition before the partition is paused (resumed at half).</summary>
    [Range(2, 1_000_000)]
    public int MaxBufferedPerPartition { get; set; } = 2_000;

    /// <summary>How often finished offsets are committed to the broker.</summary>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromMilliseconds(500);
}
