using System.Text;
using Checkout.Contracts.Messaging.V1;
using Confluent.Kafka;
using Google.Protobuf;

namespace Checkout.Messaging.Tests;

/// <summary>Plain Confluent.Kafka clients: what another producer would send, and everything a topic holds.</summary>
internal static class RawKafka
{
    public static Envelope Envelope(string key, long sequence, string source = "raw-producer") => new()
    {
        MessageId = Guid.NewGuid().ToString(),
        Type = Contracts.Events.V1.OrderPlaced.Descriptor.FullName,
        Source = source,
        Time = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow),
        CorrelationId = key,
        SchemaVersion = 1,
        Payload = TestEvents.Placed(key, sequence).ToByteString(),
    };

    public static async Task ProduceAsync(string bootstrapServers, string topic, IEnumerable<(string Key, byte[] Value)> messages)
    {
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            EnableIdempotence = true,
            LingerMs = 1,
        }).Build();
        foreach (var (key, value) in messages)
            await producer.ProduceAsync(topic, new Message<string, byte[]> { Key = key, Value = value, Headers = [] });
    }

    /// <summary>Every message of every partition of <paramref name="topic"/>, in partition order.</summary>
    public static List<ConsumeResult<string, byte[]>> ReadAll(string bootstrapServers, string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(30)).Topics.Single().Partitions
            .Select(p => new TopicPartition(topic, p.PartitionId)).ToList();
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "reader-" + Guid.NewGuid(),
            EnableAutoCommit = false,
            FetchWaitMaxMs = 5,
        }).Build();
        var remaining = new Dictionary<TopicPartition, long>();
        foreach (var partition in partitions)
        {
            var high = consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(30)).High.Value;
            if (high > 0)
                remaining[partition] = high;
        }
        consumer.Assign(remaining.Keys.Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
        var results = new List<ConsumeResult<string, byte[]>>();
        var deadline = DateTime.UtcNow + Eventually.DefaultDeadline;
        while (remaining.Count > 0)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Reading {topic}: partitions {string.Join(", ", remaining.Keys)} did not reach their end.");
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            // Messages produced after the watermarks were read are not part of this snapshot.
            if (result is null || !remaining.TryGetValue(result.TopicPartition, out var end) || result.Offset.Value >= end)
                continue;
            results.Add(result);
            if (result.Offset.Value + 1 >= end)
                remaining.Remove(result.TopicPartition);
        }
        return results;
    }

    public static Guid MessageId(ConsumeResult<string, byte[]> result) => Guid.Parse(Header(result, "message-id")!);

    public static string? Header(ConsumeResult<string, byte[]> result, string name) =>
        result.Message.Headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;
}
