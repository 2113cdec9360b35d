using System.Collections.Concurrent;
using Checkout.Contracts.Messaging.V1;
using Checkout.Testing;
using Confluent.Kafka;
using Google.Protobuf;
using Timestamp = Google.Protobuf.WellKnownTypes.Timestamp;

namespace Checkout.Services.Tests;

/// <summary>An event read back from a topic: where it was, its Kafka key and its envelope.</summary>
public sealed record RecordedEvent(string Topic, string Key, Envelope Envelope)
{
    public bool Is<T>() where T : IMessage<T>, new() => Envelope.Type == new T().Descriptor.FullName;

    public T Payload<T>() where T : IMessage<T>, new() => new MessageParser<T>(() => new T()).ParseFrom(Envelope.Payload);
}

/// <summary>
/// Publishes events as another service's outbox would (checkout.messaging.v1 envelopes keyed by order id) and
/// records everything the topics under test carry, from their beginning, on a background consumer. Tests share it:
/// each looks only at the keys (order ids) it made up.
/// </summary>
public sealed class EventLog : IDisposable
{
    private readonly IProducer<string, byte[]> _producer;
    private readonly IConsumer<string, byte[]> _consumer;
    private readonly ConcurrentQueue<RecordedEvent> _recorded = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread _reader;
    private readonly string _bootstrapServers;

    public EventLog(string bootstrapServers, IEnumerable<string> recordedTopics, int partitions)
    {
        _bootstrapServers = bootstrapServers;
        _producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = bootstrapServers, EnableIdempotence = true, LingerMs = 1 }).Build();
        _consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            // The embedded broker answers an empty fetch only after fetch.wait.max.ms: keep it short.
            BootstrapServers = bootstrapServers,
            GroupId = "recorder-" + Guid.NewGuid(),
            EnableAutoCommit = false,
            FetchWaitMaxMs = 5,
        }).Build();
        _consumer.Assign(recordedTopics.SelectMany(topic => Enumerable.Range(0, partitions)
            .Select(partition => new TopicPartitionOffset(topic, partition, Offset.Beginning))));
        _reader = new Thread(Read) { IsBackground = true, Name = "event-log" };
        _reader.Start();
    }

    private void Read()
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                var result = _consumer.Consume(_stopping.Token);
                _recorded.Enqueue(new RecordedEvent(result.Topic, result.Message.Key, Envelope.Parser.ParseFrom(result.Message.Value)));
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    /// <summary>Publishes <paramref name="event"/> to <paramref name="topic"/> in a new envelope keyed by <paramref name="key"/>; returns the envelope (to deliver it again).</summary>
    public async Task<Envelope> PublishAsync(string topic, string key, IMessage @event)
    {
        var envelope = NewEnvelope(key, @event);
        await PublishAsync(topic, key, envelope);
        return envelope;
    }

    /// <summary>A new envelope of <paramref name="event"/>, as another service's outbox writes it.</summary>
    public static Envelope NewEnvelope(string key, IMessage @event) => new()
    {
        MessageId = Guid.CreateVersion7().ToString(),
        Type = @event.Descriptor.FullName,
        Source = "test",
        Time = Timestamp.FromDateTime(DateTime.UtcNow),
        CorrelationId = key,
        SchemaVersion = 1,
        Payload = @event.ToByteString(),
    };

    /// <summary>Publishes <paramref name="envelope"/> as it is: a redelivery of the same message when it was published before.</summary>
    public Task PublishAsync(string topic, string key, Envelope envelope) => PublishAtAsync(topic, key, envelope);

    /// <summary>Publishes <paramref name="envelope"/>; returns where the broker stored it.</summary>
    public async Task<TopicPartitionOffset> PublishAtAsync(string topic, string key, Envelope envelope) =>
        (await _producer.ProduceAsync(topic, new Message<string, byte[]> { Key = key, Value = envelope.ToByteArray(), Headers = [] })).TopicPartitionOffset;

    /// <summary>
    /// Waits (bounded) until consumer group <paramref name="group"/> has committed past every one of
    /// <paramref name="published"/>: each was handled, or passed over as a type the group's handler does not act on.
    /// </summary>
    public async Task PassedAsync(string group, params TopicPartitionOffset[] published)
    {
        using var reader = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = _bootstrapServers,
            GroupId = group,
            EnableAutoCommit = false,
        }).Build();
        await Eventually.UntilAsync(
            () => Task.FromResult(reader.Committed(published.Select(p => p.TopicPartition), TimeSpan.FromSeconds(10))
                .All(committed => committed.Offset.Value > published.Where(p => p.TopicPartition == committed.TopicPartition).Max(p => p.Offset.Value))),
            $"consumer group {group} committed past {published.Length} message(s)");
    }

    /// <summary>The events of type <typeparamref name="T"/> recorded so far with key <paramref name="key"/>.</summary>
    public IReadOnlyList<T> All<T>(string key) where T : IMessage<T>, new() =>
        _recorded.Where(e => e.Key == key && e.Is<T>()).Select(e => e.Payload<T>()).ToList();

    /// <summary>Every event recorded so far with key <paramref name="key"/>, in arrival order.</summary>
    public IReadOnlyList<RecordedEvent> All(string key) => _recorded.Where(e => e.Key == key).ToList();

    /// <summary>The events recorded so far on <paramref name="topic"/> with key <paramref name="key"/>, in partition order.</summary>
    public IReadOnlyList<RecordedEvent> On(string topic, string key) => _recorded.Where(e => e.Topic == topic && e.Key == key).ToList();

    /// <summary>Waits (bounded) for an event of type <typeparamref name="T"/> with key <paramref name="key"/>.</summary>
    public async Task<T> WaitForAsync<T>(string key, TimeSpan? timeout = null) where T : IMessage<T>, new()
    {
        await Eventually.UntilAsync(() => All<T>(key).Count > 0, $"a {new T().Descriptor.Name} for {key} is published", timeout);
        return All<T>(key)[0];
    }

    /// <summary>Waits (bounded) for the first event on <paramref name="topic"/> with key <paramref name="key"/>.</summary>
    public async Task<RecordedEvent> FirstOnAsync(string topic, string key)
    {
        await Eventually.UntilAsync(() => On(topic, key).Count > 0, $"an event of {key} is published to {topic}");
        return On(topic, key)[0];
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _reader.Join();
        _consumer.Close();
        _consumer.Dispose();
        _producer.Dispose();
        _stopping.Dispose();
    }
}
