using System.ComponentModel.DataAnnotations;

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
