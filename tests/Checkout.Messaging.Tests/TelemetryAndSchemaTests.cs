using System.Collections.Concurrent;
using System.Diagnostics;
using Checkout.Contracts.Events.V1;
using Checkout.Contracts.Messaging.V1;
using Checkout.ServiceDefaults.Messaging;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;

namespace Checkout.Messaging.Tests;

public sealed class TelemetryAndSchemaTests(MessagingFixture fixture)
{
    [Fact]
    public async Task The_consumer_span_is_a_child_of_the_publish_span_in_the_trace_of_the_business_transaction()
    {
        using var business = new ActivitySource("Checkout.Tests.Business");
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is MessagingTelemetry.Name or "Checkout.Tests.Business",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        var database = await fixture.CreateDatabaseAsync();
        await Database.CreateTablesAsync(database);
        var topic = fixture.NewTopic("orders");
        var group = MessagingFixture.NewServiceName("orders");
        await using var service = await TestService.StartAsync(group, database, fixture.Kafka.BootstrapServers,
            m => m.AddOutbox().AddConsumer<EffectsHandler>(topic), services: s => s.AddSingleton(new TestProbe()));

        Guid messageId;
        ActivityContext checkout;
        using (var transaction = business.StartActivity("place order"))
        {
            Assert.NotNull(transaction);
            checkout = transaction.Context;
            messageId = (await service.WriteAsync(topic, [("order-1", 1L)])).Single();
        }

        Activity? WithMessageId(ActivityKind kind) =>
            stopped.FirstOrDefault(a => a.Kind == kind && Equals(a.GetTagItem("messaging.message.id"), messageId.ToString()));
        await Eventually.UntilAsync(() => WithMessageId(ActivityKind.Consumer) is not null, "the consumer span ends");
        var send = WithMessageId(ActivityKind.Producer);
        var process = WithMessageId(ActivityKind.Consumer)!;
        Assert.NotNull(send);

        Assert.Equal(checkout.TraceId, send.TraceId);
        Assert.Equal(checkout.SpanId, send.ParentSpanId);
        Assert.Equal(send.TraceId, process.TraceId);
        Assert.Equal(send.SpanId, process.ParentSpanId);

        Assert.Equal($"send {topic}", send.DisplayName);
        Assert.Equal("kafka", send.GetTagItem("messaging.system"));
        Assert.Equal("send", send.GetTagItem("messaging.operation.type"));
        Assert.Equal(topic, send.GetTagItem("messaging.destination.name"));
        Assert.Equal("order-1", send.GetTagItem("messaging.kafka.message.key"));
        Assert.Equal($"process {topic}", process.DisplayName);
        Assert.Equal("process", process.GetTagItem("messaging.operation.type"));
        Assert.Equal(group, process.GetTagItem("messaging.consumer.group.name"));
        Assert.Equal(send.GetTagItem("messaging.destination.partition.id"), process.GetTagItem("messaging.destination.partition.id"));
        Assert.Equal(send.GetTagItem("messaging.kafka.offset"), process.GetTagItem("messaging.kafka.offset"));
    }

    [Fact]
    public async Task A_consumer_built_on_the_current_schema_reads_a_message_from_a_newer_producer_with_added_fields()
    {
        var database = await fixture.CreateDatabaseAsync();
        await Database.CreateTablesAsync(database);
        var topic = fixture.NewTopic("orders");
        var group = MessagingFixture.NewServiceName("orders");

        // A v2 producer: OrderPlaced gained field 7 (say, a loyalty tier) and the envelope field 8 (say, a tenant).
        var placedV2 = WithAddedField(TestEvents.Placed("order-1", 1).ToByteArray(), fieldNumber: 7, "gold");
        var envelope = RawKafka.Envelope("order-1", 1);
        envelope.Payload = ByteString.CopyFrom(placedV2);
        var envelopeV2 = WithAddedField(envelope.ToByteArray(), fieldNumber: 8, "tenant-42");
        // The newer bytes really differ from what v1 writes, and v1's parser still reads every field it knows.
        Assert.NotEqual(envelope.ToByteArray(), envelopeV2);
        var readByV1 = Envelope.Parser.ParseFrom(envelopeV2);
        Assert.Equal(envelope.MessageId, readByV1.MessageId);
        Assert.Equal(1, OrderPlaced.Parser.ParseFrom(readByV1.Payload).TotalMinor);

        await RawKafka.ProduceAsync(fixture.Kafka.BootstrapServers, topic, [("order-1", envelopeV2)]);
        await using var service = await TestService.StartAsync(group, database, fixture.Kafka.BootstrapServers,
            m => m.AddConsumer<EffectsHandler>(topic), services: s => s.AddSingleton(new TestProbe()));

        await Eventually.UntilAsync(async () => (await Database.EffectsAsync(database)).Count == 1, "the newer message is handled");
        var effect = Assert.Single(await Database.EffectsAsync(database));
        Assert.Equal(Guid.Parse(envelope.MessageId), effect.MessageId);
        Assert.Equal(("order-1", 1L), (effect.MessageKey, effect.Seq));
        Assert.Empty(RawKafka.ReadAll(fixture.Kafka.BootstrapServers, topic + ".dlq"));
    }

    /// <summary>The bytes a newer schema writes: the old message plus a string field the old schema does not have.</summary>
    private static byte[] WithAddedField(byte[] message, int fieldNumber, string value)
    {
        using var stream = new MemoryStream();
        stream.Write(message);
        var output = new CodedOutputStream(stream);
        output.WriteTag(fieldNumber, WireFormat.WireType.LengthDelimited);
        output.WriteString(value);
        output.Flush();
        return stream.ToArray();
    }
}
