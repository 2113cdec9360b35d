using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Checkout.ServiceDefaults.Messaging;

/// <summary>
/// Settings of the messaging component, bound from the "Messaging" configuration section. The broker comes from
/// ConnectionStrings:kafka (Aspire's convention); the outbox and inbox live in the service's database (AddServiceDatabase).
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

    /// <summary>
    /// How long start-up waits for the broker to list the topics and to create the missing ones; a broker that cannot
    /// create them (no controller, no Admin API, no right to) fails the start after this long at most.
    /// </summary>
    public TimeSpan TopicsTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>librdkafka properties added to the producer's configuration (for example "linger.ms").</summary>
    public Dictionary<string, string> Producer { get; set; } = [];

    /// <summary>librdkafka properties added to consumers' configuration (for example "fetch.wait.max.ms").</summary>
    public Dictionary<string, string> Consumer { get; set; } = [];

    public OutboxOptions Outbox { get; set; } = new();

    public ConsumerOptions Consumers { get; set; } = new();
}

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

/// <summary>Checks every setting at start-up and reports all problems at once (data annotations alone skip nested sections).</summary>
internal sealed class MessagingOptionsValidator : IValidateOptions<MessagingOptions>
{
    public ValidateOptionsResult Validate(string? name, MessagingOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        Validator.TryValidateObject(options.Outbox, new ValidationContext(options.Outbox), results, validateAllProperties: true);
        Validator.TryValidateObject(options.Consumers, new ValidationContext(options.Consumers), results, validateAllProperties: true);
        var failures = results.Select(result => $"Messaging: {result.ErrorMessage}").ToList();
        if (string.IsNullOrWhiteSpace(options.ServiceName))
            failures.Add("Messaging:ServiceName must not be empty.");
        foreach (var (setting, value) in new (string, TimeSpan)[]
                 {
                     ("TopicsTimeout", options.TopicsTimeout),
                     ("Outbox:PollInterval", options.Outbox.PollInterval), ("Outbox:PublishTimeout", options.Outbox.PublishTimeout),
                     ("Outbox:RetryMinDelay", options.Outbox.RetryMinDelay), ("Outbox:RetryMaxDelay", options.Outbox.RetryMaxDelay),
                     ("Outbox:Retention", options.Outbox.Retention), ("Outbox:CleanupInterval", options.Outbox.CleanupInterval),
                     ("Outbox:UnhealthyAge", options.Outbox.UnhealthyAge), ("Outbox:StatisticsInterval", options.Outbox.StatisticsInterval),
                     ("Consumers:RetryMinDelay", options.Consumers.RetryMinDelay), ("Consumers:RetryMaxDelay", options.Consumers.RetryMaxDelay),
                     ("Consumers:CommitInterval", options.Consumers.CommitInterval),
                 })
        {
            if (value <= TimeSpan.Zero)
                failures.Add($"Messaging:{setting} must be a positive duration (was {value}).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
