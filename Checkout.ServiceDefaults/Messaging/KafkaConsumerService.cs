using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Checkout.ServiceDefaults.Messaging;

/// <summary>
/// One Kafka consumer in the service's consumer group. Its loop only polls and routes messages to one lane per
/// assigned partition (pausing a partition whose lane is full), so a slow handler never makes it miss the poll
/// interval. Offsets are committed explicitly, per partition only up to where every message is finished.
/// On revoke and shutdown each lane finishes the message in hand and its offset is committed before the partition
/// is released; on loss the lane is abandoned without a commit (the inbox absorbs the redelivery).
/// </summary>
internal sealed partial class KafkaConsumerService : BackgroundService, IHealthCheck
{
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);

    private readonly ConsumerRegistration _registration;
    private readonly KafkaConnection _kafka;
    private readonly MessagingOptions _settings;
    private readonly InboxProcessor _processor;
    private readonly ILogger<KafkaConsumerService> _logger;
    private readonly string _group;
    // Touched only by the consume loop thread (rebalance handlers run inside Consume on that thread).
    private readonly Dictionary<TopicPartition, PartitionLane> _lanes = [];
    private readonly HashSet<TopicPartition> _paused = [];
    private volatile bool _running;
    private volatile bool _connected;
    private volatile string? _lastError;

    public KafkaConsumerService(ConsumerRegistration registration, KafkaConnection kafka, NpgsqlDataSource dataSource, KafkaProducer producer,
        IServiceScopeFactory scopes, MessagingTelemetry telemetry, IOptions<MessagingOptions> options, ILogger<KafkaConsumerService> logger,
        Outbox? outbox = null)
    {
        _registration = registration;
        _kafka = kafka;
        _logger = logger;
        _settings = options.Value;
        _group = _settings.ServiceName!;
        _processor = new InboxProcessor(_registration, _group, dataSource, producer, outbox, scopes, telemetry, _settings.Consumers, _logger);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        // Consume blocks: the loop gets a thread of its own rather than a thread-pool thread.
        Task.Factory.StartNew(() => ConsumeLoop(stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void ConsumeLoop(CancellationToken stoppingToken)
    {
        var config = new ConsumerConfig(new Dictionary<string, string>(_settings.Consumer))
        {
            BootstrapServers = _kafka.BootstrapServers,
            GroupId = _group,
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        };
        using var consumer = new ConsumerBuilder<string, byte[]>(config)
            .SetErrorHandler((_, error) => OnError(error))
            .SetLogHandler((_, message) => LogClient(_logger, message.Facility, message.Message))
            .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
            .SetPartitionsRevokedHandler((c, partitions) => OnRevoked(c, partitions.Select(p => p.TopicPartition)))
            .SetPartitionsLostHandler((_, partitions) => OnLost(partitions.Select(p => p.TopicPartition)))
            .Build();
        consumer.Subscribe(_registration.Topics);
        _running = true;
        LogStarted(_logger, _group, string.Join(", ", _registration.Topics));
        try
        {
            var nextCommit = DateTime.UtcNow + _settings.Consumers.CommitInterval;
            while (!stoppingToken.IsCancellationRequested)
            {
                Poll(consumer);
                ResumeDrainedPartitions(consumer);
                if (DateTime.UtcNow >= nextCommit)
                {
                    Commit(consumer, _lanes.Values);
                    ProbeConnection(consumer);
                    nextCommit = DateTime.UtcNow + _settings.Consumers.CommitInterval;
                }
            }
            // Shutdown: finish the messages in hand, commit, then leave the group.
            OnRevoked(consumer, _lanes.Keys.ToList());
            consumer.Close();
        }
        finally
        {
            _running = false;
            foreach (var lane in _lanes.Values)
                lane.AbandonAsync().Wait();
            _lanes.Clear();
        }
    }

    private void Poll(IConsumer<string, byte[]> consumer)
    {
        ConsumeResult<string, byte[]>? result;
        try
        {
            result = consumer.Consume(PollTimeout);
        }
        catch (ConsumeException exception) when (!exception.Error.IsFatal)
        {
            LogConsumeError(_logger, exception.Error.Code, exception.Error.Reason);
            return;
        }
        if (result is null)
            return;
        _connected = true;
        if (!_lanes.TryGetValue(result.TopicPartition, out var lane))
            return; // not (or no longer) assigned here: the partition's owner reads it from the committed offset
        if (lane.Worker.IsFaulted)
            throw new InvalidOperationException($"The worker of {lane.TopicPartition} failed.", lane.Worker.Exception);
        lane.Enqueue(result);
        if (lane.Buffered >= _settings.Consumers.MaxBufferedPerPartition && _paused.Add(result.TopicPartition))
            consumer.Pause([result.TopicPartition]);
    }

    private void ResumeDrainedPartitions(IConsumer<string, byte[]> consumer)
    {
        if (_paused.Count == 0)
            return;
        var drained = _paused.Where(tp => _lanes[tp].Buffered <= _settings.Consumers.MaxBufferedPerPartition / 2).ToList();
        if (drained.Count == 0)
            return;
        consumer.Resume(drained);
        _paused.ExceptWith(drained);
    }

    private void OnAssigned(List<TopicPartition> partitions)
    {
        _connected = true;
        foreach (var partition in partitions)
            _lanes[partition] = new PartitionLane(partition, _settings.Consumers.MaxBatchSize, _processor.ProcessAsync);
        LogAssigned(_logger, _group, string.Join(", ", partitions));
    }

    private void OnRevoked(IConsumer<string, byte[]> consumer, IEnumerable<TopicPartition> partitions)
    {
        var revoked = partitions.Where(_lanes.ContainsKey).Select(tp => _lanes[tp]).ToList();
        if (revoked.Count == 0)
            return;
        Task.WaitAll(revoked.Select(lane => lane.DrainAsync()));
        Commit(consumer, revoked);
        Release(revoked);
        LogRevoked(_logger, _group, string.Join(", ", revoked.Select(lane => lane.TopicPartition)));
    }

    private void OnLost(IEnumerable<TopicPartition> partitions)
    {
        var lost = partitions.Where(_lanes.ContainsKey).Select(tp => _lanes[tp]).ToList();
        if (lost.Count == 0)
            return;
        Task.WaitAll(lost.Select(lane => lane.AbandonAsync()));
        Release(lost);
        LogLost(_logger, _group, string.Join(", ", lost.Select(lane => lane.TopicPartition)));
    }

    private void Release(List<PartitionLane> released)
    {
        foreach (var lane in released)
        {
            _lanes.Remove(lane.TopicPartition);
            _paused.Remove(lane.TopicPartition);
            lane.Dispose();
        }
    }

    private void Commit(IConsumer<string, byte[]> consumer, IEnumerable<PartitionLane> candidates)
    {
        var offsets = new List<TopicPartitionOffset>();
        foreach (var lane in candidates)
        {
            var finished = lane.FinishedOffset;
            if (finished > lane.CommittedOffset)
                offsets.Add(new TopicPartitionOffset(lane.TopicPartition, finished));
        }
        if (offsets.Count == 0)
            return;
        try
        {
            consumer.Commit(offsets);
            foreach (var offset in offsets)
                if (_lanes.TryGetValue(offset.TopicPartition, out var lane))
                    lane.CommittedOffset = offset.Offset.Value;
            _connected = true;
        }
        catch (KafkaException exception)
        {
            // Retried at the next interval; if the partition moves first, its new owner skips the handled messages by the inbox.
            LogCommitFailed(_logger, exception.Error.Code, exception.Error.Reason);
        }
    }

    // After "all brokers down", a quick metadata question tells when the broker is reachable again.
    private void ProbeConnection(IConsumer<string, byte[]> consumer)
    {
        if (_connected || _lanes.Count == 0)
            return;
        try
        {
            consumer.QueryWatermarkOffsets(_lanes.Keys.First(), TimeSpan.FromMilliseconds(500));
            _connected = true;
        }
        catch (KafkaException)
        {
            // Still unreachable: the health check keeps reporting it.
        }
    }

    private void OnError(Error error)
    {
        if (error.Code == ErrorCode.Local_AllBrokersDown || error.IsFatal)
        {
            _connected = false;
            _lastError = error.Reason;
        }
        LogClientError(_logger, error.Code, error.Reason);
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var topics = string.Join(", ", _registration.Topics);
        return Task.FromResult(!_running
            ? new HealthCheckResult(context.Registration.FailureStatus, $"The consumer of {topics} is not running.")
            : !_connected
                ? new HealthCheckResult(context.Registration.FailureStatus, $"The consumer of {topics} cannot reach the broker: {_lastError ?? "not connected yet"}.")
                : HealthCheckResult.Healthy($"Consuming {topics} in group {_group}."));
    }

    [LoggerMessage(LogLevel.Information, "Consumer group {Group} subscribed to {Topics}")]
    private static partial void LogStarted(ILogger logger, string group, string topics);

    [LoggerMessage(LogLevel.Information, "Consumer group {Group}: assigned {Partitions}")]
    private static partial void LogAssigned(ILogger logger, string group, string partitions);

    [LoggerMessage(LogLevel.Information, "Consumer group {Group}: revoked {Partitions} (in-hand messages finished and committed)")]
    private static partial void LogRevoked(ILogger logger, string group, string partitions);

    [LoggerMessage(LogLevel.Warning, "Consumer group {Group}: lost {Partitions} (in-flight work abandoned)")]
    private static partial void LogLost(ILogger logger, string group, string partitions);

    [LoggerMessage(LogLevel.Warning, "Kafka consume error {Code}: {Reason}")]
    private static partial void LogConsumeError(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(LogLevel.Warning, "Kafka offset commit failed ({Code}: {Reason}); retried at the next interval")]
    private static partial void LogCommitFailed(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(LogLevel.Warning, "Kafka consumer error {Code}: {Reason}")]
    private static partial void LogClientError(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(LogLevel.Debug, "librdkafka {Facility}: {Message}")]
    private static partial void LogClient(ILogger logger, string facility, string message);
}
