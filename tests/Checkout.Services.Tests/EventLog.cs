using System.Collections.Concurrent;
using Checkout.Contracts.Messaging.V1;
using Checkout.ServiceDefaults.Kafka;
using Confluent.Kafka;
using Google.Protobuf;
using Timestamp = Google.Protobuf.WellKnownTypes.Timestamp;

namespace Checkout.Services.Tests.Hosting;

/// <summary>An event read back from a topic: its envelope and its Kafka key.</summary>
public sealed record RecordedEvent(string Key, Envelope Envelope)
{
    public bool Is<T>() where T : IMessage<T>, new() => Envelope.Type == new T().Descriptor.FullName;

    public T Payload<T>() where T : IMessage<T>, new() => new MessageParser<T>(() => new T()).ParseFrom(Envelope.Payload);
}

/// <summary>
/// Publishes events as another service's outbox would (checkout.messaging.v1 envelopes keyed by order id) and
/// records everything the topics under test carry, from their beginning, on a background consumer.
/// </summary>
public sealed class EventLog : IDisposable
{
    private readonly IProducer<string, byte[]> producer;
    private readonly IConsumer<string, byte[]> consumer;
    private readonly ConcurrentQueue<RecordedEvent> recorded = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly Thread reader;

    public EventLog(string bootstrapServers, IEnumerable<string> recordedTopics, int partitions)
    {
        LibrdKafka.EnsureLoaded();
        producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = bootstrapServers, EnableIdempotence = true, LingerMs = 1 }).Build();
        consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers, GroupId = "recorder-" + Guid.NewGuid(), EnableAutoCommit = false, FetchWaitMaxMs = 5,
        }).Build();
        consumer.Assign(recordedTopics.SelectMany(topic => Enumerable.Range(0, partitions)
            .Select(partition => new TopicPartitionOffset(topic, partition, Offset.Beginning))));
        reader = new Thread(Read) { IsBackground = true, Name = "event-log" };
        reader.Start();
    }

    private void Read()
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var result = consumer.Consume(stopping.Token);
                recorded.Enqueue(new RecordedEvent(result.Message.Key, Envelope.Parser.ParseFrom(result.Message.Value)));
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    /// <summary>Publishes <paramref name="event"/> to <paramref name="topic"/> keyed by <paramref name="key"/>; returns its message id.</summary>
    public async Task<Guid> PublishAsync(string topic, string key, IMessage @event, Guid? messageId = null)
    {
        var id = messageId ?? Guid.CreateVersion7();
        var envelope = new Envelope
        {
            MessageId = id.ToString(),
            Type = @event.Descriptor.FullName,
            Source = "test",
            Time = Timestamp.FromDateTime(DateTime.UtcNow),
            CorrelationId = key,
            SchemaVersion = 1,
            Payload = @event.ToByteString(),
        };
        await producer.ProduceAsync(topic, new Message<string, byte[]> { Key = key, Value = envelope.ToByteArray(), Headers = [] });
        return id;
    }

    /// <summary>The events of type <typeparamref name="T"/> recorded so far with key <paramref name="key"/>.</summary>
    public IReadOnlyList<T> All<T>(string key) where T : IMessage<T>, new() =>
        recorded.Where(e => e.Key == key && e.Is<T>()).Select(e => e.Payload<T>()).ToList();

    /// <summary>Every event recorded so far with key <paramref name="key"/>, in arrival order.</summary>
    public IReadOnlyList<RecordedEvent> All(string key) => recorded.Where(e => e.Key == key).ToList();

    /// <summary>Waits (bounded) for an event of type <typeparamref name="T"/> with key <paramref name="key"/>.</summary>
    public async Task<T> WaitForAsync<T>(string key, TimeSpan? timeout = null) where T : IMessage<T>, new()
    {
        await Eventually.UntilAsync(() => All<T>(key).Count > 0, $"a {new T().Descriptor.Name} for {key} is published", timeout);
        return All<T>(key)[0];
    }

    public void Dispose()
    {
        stopping.Cancel();
        reader.Join();
        consumer.Close();
        consumer.Dispose();
        producer.Dispose();
        stopping.Dispose();
    }
}

/// <summary>Bounded waits: poll until a condition holds or a generous deadline passes.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(60);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? DefaultDeadline);
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"Timed out waiting until {what}.");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? deadline = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, deadline);
}
