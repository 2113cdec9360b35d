using System.Collections.Concurrent;
using Checkout.Contracts.Messaging.V1;
using Checkout.ServiceDefaults.Kafka;
using Confluent.Kafka;
using Google.Protobuf;

namespace Checkout.Services.Tests;

/// <summary>An event read back from a topic: its key and envelope.</summary>
public sealed record ReadEvent(string Key, Envelope Envelope)
{
    public bool Is<T>() where T : IMessage<T>, new() => Envelope.Type == new T().Descriptor.FullName;

    public T Payload<T>() where T : IMessage<T>, new() => new MessageParser<T>(() => new T()).ParseFrom(Envelope.Payload);
}

/// <summary>Publishes events the way another service's outbox does: a checkout.messaging.v1 envelope keyed by order id.</summary>
public sealed class EventPublisher(string bootstrapServers) : IDisposable
{
    private readonly IProducer<string, byte[]> producer = CreateProducer(bootstrapServers);

    public static Envelope Envelope(string key, IMessage payload) => new()
    {
        MessageId = Guid.CreateVersion7().ToString(),
        Type = payload.Descriptor.FullName,
        Source = "orders",
        Time = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow),
        CorrelationId = key,
        SchemaVersion = 1,
        Payload = payload.ToByteString(),
    };

    /// <summary>Publishes <paramref name="payload"/> in a new envelope; returns the envelope (to deliver it again).</summary>
    public async Task<Envelope> PublishAsync(string topic, string key, IMessage payload)
    {
        var envelope = Envelope(key, payload);
        await PublishAsync(topic, key, envelope);
        return envelope;
    }

    public Task PublishAsync(string topic, string key, Envelope envelope) =>
        producer.ProduceAsync(topic, new Message<string, byte[]> { Key = key, Value = envelope.ToByteArray(), Headers = [] });

    public void Dispose() => producer.Dispose();

    private static IProducer<string, byte[]> CreateProducer(string bootstrapServers)
    {
        LibrdKafka.EnsureLoaded();
        return new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = bootstrapServers, EnableIdempotence = true, LingerMs = 1 }).Build();
    }
}

/// <summary>Reads every partition of a topic from the beginning on a thread of its own, keeping what it read.</summary>
public sealed class TopicReader : IDisposable
{
    private readonly ConcurrentQueue<ReadEvent> events = new();
    private readonly CancellationTokenSource stop = new();
    private readonly Thread thread;

    public TopicReader(string bootstrapServers, string topic)
    {
        LibrdKafka.EnsureLoaded();
        List<TopicPartitionOffset> partitions;
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build())
        {
            partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(30)).Topics.Single().Partitions
                .Select(p => new TopicPartitionOffset(topic, p.PartitionId, Offset.Beginning)).ToList();
        }
        var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers, GroupId = "test-reader-" + Guid.NewGuid(), EnableAutoCommit = false, FetchWaitMaxMs = 5,
        }).Build();
        consumer.Assign(partitions);
        thread = new Thread(() => Read(consumer)) { IsBackground = true, Name = "TopicReader " + topic };
        thread.Start();
    }

    /// <summary>The events read so far whose key is <paramref name="key"/>, in partition order.</summary>
    public IReadOnlyList<ReadEvent> For(string key) => events.Where(e => e.Key == key).ToList();

    /// <summary>Waits for the first event of <paramref name="key"/>.</summary>
    public async Task<ReadEvent> FirstAsync(string key)
    {
        await Eventually.UntilAsync(() => Task.FromResult(For(key).Count > 0), $"an event of {key} is read");
        return For(key)[0];
    }

    private void Read(IConsumer<string, byte[]> consumer)
    {
        using (consumer)
        {
            while (!stop.IsCancellationRequested)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result?.Message?.Value is { } value)
                    events.Enqueue(new ReadEvent(result.Message.Key, Envelope.Parser.ParseFrom(value)));
            }
            consumer.Close();
        }
    }

    public void Dispose()
    {
        stop.Cancel();
        thread.Join();
        stop.Dispose();
    }
}
