using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Checkout.ServiceDefaults.Messaging;

/// <summary>
/// The service's one idempotent Kafka producer (acks=all, ordered per partition, no duplicates from its own
/// retries), shared by the outbox dispatcher and the dead-letter path. Rebuilt after a fatal producer error.
/// </summary>
internal sealed partial class KafkaProducer(KafkaConnection connection, IOptions<MessagingOptions> options, ILogger<KafkaProducer> logger) : IDisposable
{
    private readonly Lock _gate = new();
    private IProducer<string, byte[]>? _producer;
    private bool _disposed;

    /// <summary>Publishes through the current producer; a fatal error replaces that producer (and only it) for the next call.</summary>
    public async Task<DeliveryResult<string, byte[]>> ProduceAsync(string topic, Message<string, byte[]> message, CancellationToken cancellationToken)
    {
        var current = Current();
        try
        {
            return await current.ProduceAsync(topic, message, cancellationToken);
        }
        catch (KafkaException exception) when (exception.Error.IsFatal)
        {
            Replace(current, exception);
            throw;
        }
    }

    // Late failures of an already replaced producer must not touch its successor, which has deliveries in flight. The
    // failed one is disposed only once its other deliveries have reported (a fatal error fails them all): disposing it
    // at once would stop the delivery reports that their callers, such as an outbox round, are waiting for.
    private void Replace(IProducer<string, byte[]> failed, KafkaException exception)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_producer, failed))
                return;
            LogFatal(logger, exception.Message);
            _producer = null;
        }
        _ = Task.Run(() =>
        {
            try
            {
                failed.Flush(options.Value.Outbox.PublishTimeout);
                failed.Dispose();
            }
            catch (Exception disposeFailure)
            {
                LogDisposeFailed(logger, disposeFailure);
            }
        });
    }

    private IProducer<string, byte[]> Current()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _producer ??= Build();
        }
    }

    private IProducer<string, byte[]> Build()
    {
        var settings = options.Value;
        var config = new ProducerConfig(new Dictionary<string, string>(settings.Producer))
        {
            BootstrapServers = connection.BootstrapServers,
            ClientId = settings.ServiceName,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = settings.Producer.ContainsKey("linger.ms") ? null : 1,
            MessageTimeoutMs = (int)settings.Outbox.PublishTimeout.TotalMilliseconds,
        };
        // Small produce requests must not wait for Nagle's algorithm (tens of milliseconds per round trip).
        config.SocketNagleDisable ??= true;
        return new ProducerBuilder<string, byte[]>(config)
            .SetErrorHandler((_, error) => LogClientError(logger, error.Code, error.Reason))
            .SetLogHandler((_, message) => LogClient(logger, message.Facility, message.Message))
            .Build();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _producer?.Flush(TimeSpan.FromSeconds(5));
            _producer?.Dispose();
            _producer = null;
        }
    }

    [LoggerMessage(LogLevel.Error, "Kafka producer failed fatally and is rebuilt: {Reason}")]
    private static partial void LogFatal(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Warning, "Disposing the failed Kafka producer failed")]
    private static partial void LogDisposeFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogLevel.Warning, "Kafka producer error {Code}: {Reason}")]
    private static partial void LogClientError(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(LogLevel.Debug, "librdkafka {Facility}: {Message}")]
    private static partial void LogClient(ILogger logger, string facility, string message);
}
