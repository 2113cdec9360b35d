using Checkout.Contracts;
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
            .Concat(consumers.SelectMany(consumer => consumer.Topics.SelectMany(topic => new[] { topic, Topics.DeadLetter(topic) })))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (topics.Count > 0)
            await CreateTopicsAsync(topics, settings.Partitions, settings.ReplicationFactor, settings.TopicsTimeout);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task CreateTopicsAsync(List<string> topics, int partitions, short replicationFactor, TimeSpan timeout)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = kafka.BootstrapServers }).Build();
        // Create only what is missing: a restart (or a second instance) then needs no create permission at all.
        var existing = admin.GetMetadata(timeout).Topics
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
                new CreateTopicsOptions { RequestTimeout = timeout, OperationTimeout = timeout });
            LogCreated(logger, string.Join(", ", missing), partitions);
        }
        catch (CreateTopicsException exception)
        {
            // Another instance may have created some of them meanwhile: what matters is that they all exist.
            var failed = exception.Results.Where(result => result.Error.Code is not (ErrorCode.NoError or ErrorCode.TopicAlreadyExists)).ToList();
            if (failed.Count > 0)
                throw new InvalidOperationException(
                    $"The broker at {kafka.BootstrapServers} refused to create topic(s) " +
                    string.Join("; ", failed.Select(result => $"'{result.Topic}': {result.Error.Code} ({result.Error.Reason})")) +
                    $". Create them with {partitions} partitions, or give this service's principal the right to create topics.", exception);
        }
        catch (KafkaException exception)
        {
            // The request as a whole failed: a broker with no controller (librdkafka waits for one until the timeout:
            // "Failed while waiting for controller"), one that does not serve the Admin API, or one out of reach.
            var waited = exception.Error.Code == ErrorCode.Local_TimedOut
                ? $" (waited {timeout.TotalSeconds:0.###} s, Messaging:TopicsTimeout)"
                : "";
            throw new InvalidOperationException(
                $"Could not create topic(s) {string.Join(", ", missing.Select(topic => $"'{topic}'"))} on the broker at " +
                $"{kafka.BootstrapServers}: {exception.Error.Code} ({exception.Error.Reason}){waited}. Create them with " +
                $"{partitions} partitions, or use a broker that can create topics for this service.", exception);
        }
    }

    [LoggerMessage(LogLevel.Information, "Created topics {Topics} with {Partitions} partitions")]
    private static partial void LogCreated(ILogger logger, string topics, int partitions);
}
