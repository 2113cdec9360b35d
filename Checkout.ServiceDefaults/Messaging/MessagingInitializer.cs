using Checkout.ServiceDefaults.Kafka;
using Checkout.ServiceDefaults.Postgres;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Checkout.ServiceDefaults.Messaging;

/// <summary>
/// Runs before the dispatcher and consumers start: creates (or upgrades) the outbox and inbox schema and the
/// topics this service publishes to and consumes, with their dead-letter topics.
/// </summary>
internal sealed partial class MessagingInitializer(
    DatabaseMigrator migrator,
    KafkaConnection kafka,
    IOptions<MessagingOptions> options,
    IEnumerable<ConsumerRegistration> consumers,
    ILogger<MessagingInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await migrator.MigrateAsync(typeof(MessagingInitializer).Assembly, cancellationToken);
        var settings = options.Value;
        var topics = settings.Topics
            .Concat(consumers.SelectMany(consumer => consumer.Topics.SelectMany(topic => new[] { topic, DeadLetterTopic(topic) })))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (topics.Count > 0)
            await CreateTopicsAsync(topics, settings.Partitions, settings.ReplicationFactor);
    }

    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(30);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public static string DeadLetterTopic(string topic) => topic + ".dlq";

    private async Task CreateTopicsAsync(List<string> topics, int partitions, short replicationFactor)
    {
        LibrdKafka.EnsureLoaded();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = kafka.BootstrapServers }).Build();
        // Create only what is missing: a restart (or a second instance) then needs no create permission at all.
        var existing = admin.GetMetadata(MetadataTimeout).Topics
            .Where(topic => topic.Error.Code == ErrorCode.NoError)
            .Select(topic => topic.Topic)
            .ToHashSet(StringComparer.Ordinal);
        var missing = topics.Where(topic => !existing.Contains(topic)).ToList();
        if (missing.Count == 0)
            return;
        try
        {
            await admin.CreateTopicsAsync(
                missing.Select(topic => new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = replicationFactor }),
                new CreateTopicsOptions { RequestTimeout = MetadataTimeout, OperationTimeout = MetadataTimeout });
            LogCreated(logger, string.Join(", ", missing), partitions);
        }
        catch (CreateTopicsException exception)
            when (exception.Results.All(result => result.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            // Another instance created some of them meanwhile: what matters is that they all exist.
        }
    }

    [LoggerMessage(LogLevel.Information, "Created topics {Topics} with {Partitions} partitions")]
    private static partial void LogCreated(ILogger logger, string topics, int partitions);
}
