using System.Text;
using Checkout.Contracts.Events.V1;
using Checkout.ServiceDefaults.Messaging;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;

namespace Checkout.Messaging.Tests;

public sealed class ConsumerTests(MessagingFixture fixture)
{
    private string Bootstrap => fixture.Kafka.BootstrapServers;

    [Fact]
    public async Task Every_message_delivered_twice_has_its_effect_once()
    {
        var (database, topic, group) = await PrepareAsync();
        var envelopes = TestEvents.Interleaved(keys: 5, perKey: 6).Select(e => (e.Key, Envelope: RawKafka.Envelope(e.Key, e.Sequence))).ToList();
        // Each message twice in a row, then the whole stream once more.
        await RawKafka.ProduceAsync(Bootstrap, topic, envelopes.SelectMany(e => new[] { (e.Key, e.Envelope.ToByteArray()), (e.Key, e.Envelope.ToByteArray()) }));
        await RawKafka.ProduceAsync(Bootstrap, topic, envelopes.Select(e => (e.Key, e.Envelope.ToByteArray())));

        await using var service = await TestService.StartAsync(group, database, Bootstrap, m => m.AddConsumer<EffectsHandler>(topic),
            services: s => s.AddSingleton(new TestProbe()));

        await Eventually.UntilAsync(() => OutboxTests.CommittedToEnd(Bootstrap, group, topic), "every copy is consumed and committed");
        var effects = await Database.EffectsAsync(database);
        Assert.Equal(envelopes.Select(e => Guid.Parse(e.Envelope.MessageId)).Order(), effects.Select(e => e.MessageId).Order());
        OrderAssert.PerKeyInOrder(effects.Select(e => (e.MessageKey, e.Seq)), TestEvents.Interleaved(keys: 5, perKey: 6));
    }

    [Fact]
    public async Task Messages_of_types_the_handler_does_not_declare_are_passed_over_without_a_transaction_and_the_partition_moves_on()
    {
        var (database, topic, group) = await PrepareAsync();
        var placed = TestEvents.Interleaved(keys: 4, perKey: 5).Select(e => (e.Key, Envelope: RawKafka.Envelope(e.Key, e.Sequence))).ToList();
        // After each OrderPlaced, an event of its key the handler does not act on; the stream ends with one of them.
        var confirmed = placed.Select(e => (e.Key, Envelope: WithType(RawKafka.Envelope(e.Key, 0), OrderConfirmed.Descriptor.FullName))).ToList();
        await RawKafka.ProduceAsync(Bootstrap, topic, placed.Zip(confirmed).SelectMany(pair => new[]
        {
            (pair.First.Key, pair.First.Envelope.ToByteArray()), (pair.Second.Key, pair.Second.Envelope.ToByteArray()),
        }));

        await using var service = await TestService.StartAsync(group, database, Bootstrap, m => m.AddConsumer<OrderPlacedOnlyHandler>(topic),
            services: s => s.AddSingleton(new TestProbe()));

        await Eventually.UntilAsync(() => OutboxTests.CommittedToEnd(Bootstrap, group, topic), "every message is consumed and committed");
        var effects = await Database.EffectsAsync(database);
        Assert.Equal(placed.Select(e => Guid.Parse(e.Envelope.MessageId)).Order(), effects.Select(e => e.MessageId).Order());
        // Only the handled messages left an inbox row: the others cost no transaction.
        Assert.Equal(placed.Count, await Database.ScalarAsync(database, "SELECT count(*) FROM messaging.inbox"));
    }

    private static Contracts.Messaging.V1.Envelope WithType(Contracts.Messaging.V1.Envelope envelope, string type)
    {
        envelope.Type = type;
        return envelope;
    }

    [Fact]
    public async Task Poison_and_always_failing_messages_go_to_the_dead_letter_topic_with_their_story_and_the_partition_moves_on()
    {
        var (database, topic, group) = await PrepareAsync();
        const string key = "order-1";
        var first = RawKafka.Envelope(key, 1);
        var alwaysFails = RawKafka.Envelope(key, 2);
        var wrongPayload = RawKafka.Envelope(key, 3);
        wrongPayload.Type = OrderConfirmed.Descriptor.FullName; // the handler asks for an OrderPlaced: it can never succeed
        var last = RawKafka.Envelope(key, 4);
        var probe = new TestProbe { FailAttempt = (message, _) => message.MessageId == Guid.Parse(alwaysFails.MessageId) };

        await RawKafka.ProduceAsync(Bootstrap, topic,
        [
            (key, first.ToByteArray()),
            (key, Encoding.UTF8.GetBytes("this is not a protobuf envelope")),
            (key, alwaysFails.ToByteArray()),
            (key, wrongPayload.ToByteArray()),
            (key, last.ToByteArray()),
        ]);
        await using var service = await TestService.StartAsync(group, database, Bootstrap, m => m.AddConsumer<EffectsHandler>(topic),
            services: s => s.AddSingleton(probe));

        await Eventually.UntilAsync(async () => (await Database.EffectsAsync(database)).Any(e => e.MessageId == Guid.Parse(last.MessageId)),
            "the message after the poison ones is handled");
        var effects = await Database.EffectsAsync(database);
        Assert.Equal([1L, 4L], effects.Select(e => e.Seq));

        var deadLetters = RawKafka.ReadAll(Bootstrap, topic + ".dlq");
        Assert.Equal(3, deadLetters.Count);
        var original = RawKafka.ReadAll(Bootstrap, topic);
        Assert.All(deadLetters, dead =>
        {
            Assert.Equal(topic, RawKafka.Header(dead, MessageHeaders.DeadLetterTopic));
            var offset = long.Parse(RawKafka.Header(dead, MessageHeaders.DeadLetterOffset)!);
            var source = original.Single(o => o.Offset.Value == offset && o.Partition.Value.ToString() == RawKafka.Header(dead, MessageHeaders.DeadLetterPartition));
            Assert.Equal(source.Message.Value, dead.Message.Value);
            Assert.Equal(key, dead.Message.Key);
            Assert.False(string.IsNullOrWhiteSpace(RawKafka.Header(dead, MessageHeaders.DeadLetterError)));
        });
        // In partition order: the unparseable one and the wrong payload at once, the failing one after every attempt.
        Assert.Equal(["1", "3", "1"], deadLetters.Select(d => RawKafka.Header(d, MessageHeaders.DeadLetterAttempts)));
        Assert.Contains("not a Checkout envelope", RawKafka.Header(deadLetters[0], MessageHeaders.DeadLetterError));
        Assert.Contains("Injected transient failure", RawKafka.Header(deadLetters[1], MessageHeaders.DeadLetterError));
        Assert.Equal(3, probe.Attempts[Guid.Parse(alwaysFails.MessageId)]);
    }

    [Fact]
    public async Task A_handler_failing_transiently_a_few_times_handles_the_message_once_and_in_order()
    {
        var (database, topic, group) = await PrepareAsync();
        var events = TestEvents.Interleaved(keys: 3, perKey: 8).ToList();
        var envelopes = events.Select(e => (e.Key, Envelope: RawKafka.Envelope(e.Key, e.Sequence))).ToList();
        // Every fourth event of each order fails twice (MaxAttempts is 3), then succeeds.
        var flaky = envelopes.Where((_, i) => i % 4 == 1).Select(e => Guid.Parse(e.Envelope.MessageId)).ToHashSet();
        var probe = new TestProbe { FailAttempt = (message, attempt) => flaky.Contains(message.MessageId) && attempt <= 2 };
        await RawKafka.ProduceAsync(Bootstrap, topic, envelopes.Select(e => (e.Key, e.Envelope.ToByteArray())));

        await using var service = await TestService.StartAsync(group, database, Bootstrap, m => m.AddConsumer<EffectsHandler>(topic),
            services: s => s.AddSingleton(probe));

        await Eventually.UntilAsync(async () => (await Database.EffectsAsync(database)).Count >= events.Count, "every event is handled");
        await Eventually.UntilAsync(() => OutboxTests.CommittedToEnd(Bootstrap, group, topic), "every offset is committed");
        var effects = await Database.EffectsAsync(database);
        Assert.Equal(envelopes.Select(e => Guid.Parse(e.Envelope.MessageId)).Order(), effects.Select(e => e.MessageId).Order());
        OrderAssert.PerKeyInOrder(effects.Select(e => (e.MessageKey, e.Seq)), events);
        Assert.All(flaky, id => Assert.True(probe.Attempts[id] >= 3, $"Message {id} was attempted {probe.Attempts[id]} times."));
        Assert.Empty(RawKafka.ReadAll(Bootstrap, topic + ".dlq"));
    }

    [Fact]
    public async Task Messages_wait_out_a_database_outage_without_using_up_their_attempts()
    {
        var (database, topic, group) = await PrepareAsync();
        var databaseName = new Npgsql.NpgsqlConnectionStringBuilder(database).Database!;
        var retries = 0L;
        using var meters = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument is { Name: "checkout.messaging.retries", Meter.Name: MessagingTelemetry.Name })
                    listener.EnableMeasurementEvents(instrument);
            },
        };
        meters.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag is { Key: "messaging.destination.name" } && Equals(tag.Value, topic))
                    Interlocked.Add(ref retries, value);
        });
        meters.Start();
        await using var service = await TestService.StartAsync(group, database, Bootstrap, m => m.AddConsumer<EffectsHandler>(topic),
            services: s => s.AddSingleton(new TestProbe()));

        // The outage: no new connections to the service's database, and its open ones cut.
        var admin = fixture.AdminConnectionString;
        await Database.ExecuteAsync(admin, $"""
            ALTER DATABASE "{databaseName}" ALLOW_CONNECTIONS false;
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{databaseName}';
            """);
        try
        {
            var events = TestEvents.Interleaved(keys: 3, perKey: 3).ToList();
            await RawKafka.ProduceAsync(Bootstrap, topic, events.Select(e => (e.Key, RawKafka.Envelope(e.Key, e.Sequence).ToByteArray())));
            // Far more failed tries than MaxAttempts (3) allows one message.
            await Eventually.UntilAsync(() => Interlocked.Read(ref retries) >= 20, "the consumer keeps retrying through the outage");
            await Database.ExecuteAsync(admin, $"""ALTER DATABASE "{databaseName}" ALLOW_CONNECTIONS true""");
            // The test's own pooled connections were cut too (the service's data source has a pool of its own).
            Npgsql.NpgsqlConnection.ClearPool(new Npgsql.NpgsqlConnection(database));

            await Eventually.UntilAsync(async () => (await Database.EffectsAsync(database)).Count >= events.Count, "every event is handled after the outage");
            var effects = await Database.EffectsAsync(database);
            Assert.Equal(events.Count, effects.Count);
            OrderAssert.PerKeyInOrder(effects.Select(e => (e.MessageKey, e.Seq)), events);
            Assert.Empty(RawKafka.ReadAll(Bootstrap, topic + ".dlq"));
        }
        finally
        {
            await Database.ExecuteAsync(admin, $"""ALTER DATABASE "{databaseName}" ALLOW_CONNECTIONS true""");
        }
    }

    [Fact]
    public async Task A_handler_slower_than_the_maximum_poll_interval_keeps_its_consumer_in_the_group()
    {
        var (database, topic, group) = await PrepareAsync();
        var events = TestEvents.Interleaved(keys: 4, perKey: 3).ToList();
        var envelopes = events.Select(e => (e.Key, Envelope: RawKafka.Envelope(e.Key, e.Sequence))).ToList();
        var slow = Guid.Parse(envelopes[0].Envelope.MessageId);
        // The broker drops a member that does not poll for max.poll.interval.ms; this handler takes longer than that.
        var probe = new TestProbe { HandlingDelay = message => message.MessageId == slow ? TimeSpan.FromSeconds(10) : TimeSpan.Zero };
        await RawKafka.ProduceAsync(Bootstrap, topic, envelopes.Select(e => (e.Key, e.Envelope.ToByteArray())));

        await using var service = await TestService.StartAsync(group, database, Bootstrap, m => m.AddConsumer<EffectsHandler>(topic),
            configure: o => o.Consumer["max.poll.interval.ms"] = "7000", services: s => s.AddSingleton(probe));

        await Eventually.UntilAsync(async () => (await Database.EffectsAsync(database)).Count >= events.Count, "every event is handled");
        await Eventually.UntilAsync(() => OutboxTests.CommittedToEnd(Bootstrap, group, topic), "every offset is committed");
        // Had the consumer been dropped, its partitions would have been taken away and the slow message handled again.
        Assert.Equal(1, probe.Attempts[slow]);
        var effects = await Database.EffectsAsync(database);
        Assert.Equal(events.Count, effects.Count);
        OrderAssert.PerKeyInOrder(effects.Select(e => (e.MessageKey, e.Seq)), events);
    }

    [Fact]
    public async Task A_second_consumer_joining_mid_stream_shares_the_work_with_each_message_handled_once_in_order_and_no_key_handled_twice_at_once()
    {
        var (database, topic, group) = await PrepareAsync();
        var probe = new TestProbe { HandlingDelay = _ => TimeSpan.FromMilliseconds(2) };
        await using var publisher = await TestService.StartAsync(MessagingFixture.NewServiceName("publisher"), database, Bootstrap, m => m.AddOutbox());
        await using var first = await TestService.StartAsync(group, database, Bootstrap, m => m.AddConsumer<EffectsHandler>(topic),
            services: s => s.AddSingleton(probe), instance: "consumer-1");

        var written = new List<(string Key, long Sequence)>();
        var sequence = 0L;
        async Task WriteRoundAsync()
        {
            sequence++;
            var round = Enumerable.Range(0, 40).Select(key => ($"order-{key}", sequence)).ToList();
            await publisher.WriteAsync(topic, round);
            written.AddRange(round);
        }

        await Eventually.UntilAsync(async () =>
        {
            await WriteRoundAsync();
            return (await Database.EffectsAsync(database)).Count > 0;
        }, "the first consumer handles messages");
        TestService? second = null;
        try
        {
            var joining = TestService.StartAsync(group, database, Bootstrap, m => m.AddConsumer<EffectsHandler>(topic),
                services: s => s.AddSingleton(probe), instance: "consumer-2");
            // Keep the stream flowing while the second consumer joins and the group rebalances.
            while (!joining.IsCompleted)
                await WriteRoundAsync();
            second = await joining;
            await Eventually.UntilAsync(async () =>
            {
                await WriteRoundAsync();
                return (await Database.EffectsAsync(database)).Any(e => e.Instance == "consumer-2");
            }, "the second consumer handles messages");
            for (var i = 0; i < 5; i++)
                await WriteRoundAsync();

            await Eventually.UntilAsync(async () => (await Database.EffectsAsync(database)).Count >= written.Count, "every message is handled");
            await Eventually.UntilAsync(async () => await Database.UnsentAsync(database) == 0, "the outbox is drained");
        }
        finally
        {
            if (second is not null)
                await second.DisposeAsync();
        }

        var effects = await Database.EffectsAsync(database);
        Assert.Equal(written.Count, effects.Count);
        Assert.Equal(effects.Count, effects.Select(e => e.MessageId).Distinct().Count());
        OrderAssert.PerKeyInOrder(effects.Select(e => (e.MessageKey, e.Seq)), written);
        Assert.Equal(0, probe.Overlaps);
        Assert.Contains(effects, e => e.Instance == "consumer-1");
    }

    [Fact]
    public async Task Blowing_up_just_after_dispatch_still_sends_the_events_and_the_downstream_effect_happens_once()
    {
        // Upstream message -> middle service (effect + outgoing event in one transaction) -> downstream service.
        var middleDatabase = await fixture.CreateDatabaseAsync();
        var downstreamDatabase = await fixture.CreateDatabaseAsync();
        await Database.CreateTablesAsync(middleDatabase);
        await Database.CreateTablesAsync(downstreamDatabase);
        var incoming = fixture.NewTopic("payments");
        var outgoing = fixture.NewTopic("orders");
        var middleGroup = MessagingFixture.NewServiceName("middle");
        var downstreamGroup = MessagingFixture.NewServiceName("downstream");

        await using var middle = await TestService.StartAsync(middleGroup, middleDatabase, Bootstrap,
            m => m.AddOutbox().AddConsumer<ForwardingHandler>(incoming), services: s => s.AddSingleton(new ForwardTo(outgoing)));
        // The middle service blows up right after dispatching its outgoing events, before it records them as sent.
        await Database.ExecuteAsync(middleDatabase, OutboxTests.MarkSentFault(failures: 1));
        await using var downstream = await TestService.StartAsync(downstreamGroup, downstreamDatabase, Bootstrap,
            m => m.AddConsumer<EffectsHandler>(outgoing), services: s => s.AddSingleton(new TestProbe()));

        var events = TestEvents.Interleaved(keys: 3, perKey: 3).ToList();
        var envelopes = events.Select(e => (e.Key, Bytes: RawKafka.Envelope(e.Key, e.Sequence).ToByteArray())).ToList();
        // ... and its incoming messages are redelivered, as after a crash before their offsets were committed.
        await RawKafka.ProduceAsync(Bootstrap, incoming, envelopes.Concat(envelopes));

        await Eventually.UntilAsync(() => OutboxTests.CommittedToEnd(Bootstrap, middleGroup, incoming), "the middle service consumed every copy");
        await Eventually.UntilAsync(async () => await Database.UnsentAsync(middleDatabase) == 0, "the middle service's outbox is drained");
        await Eventually.UntilAsync(async () => (await Database.EffectsAsync(downstreamDatabase)).Count >= events.Count, "the downstream service handles the events");
        await Eventually.UntilAsync(() => OutboxTests.CommittedToEnd(Bootstrap, downstreamGroup, outgoing), "the downstream service consumed every copy");

        Assert.True(RawKafka.ReadAll(Bootstrap, outgoing).Count > events.Count, "The outgoing events were dispatched again after the blow-up.");
        var middleEffects = await Database.EffectsAsync(middleDatabase);
        var downstreamEffects = await Database.EffectsAsync(downstreamDatabase);
        Assert.Equal(events.Count, middleEffects.Count);
        Assert.Equal(events.Count, downstreamEffects.DistinctBy(e => (e.MessageKey, e.Seq)).Count());
        Assert.Equal(events.Count, downstreamEffects.Count);
        OrderAssert.PerKeyInOrder(downstreamEffects.Select(e => (e.MessageKey, e.Seq)), events);
    }

    private async Task<(string Database, string Topic, string Group)> PrepareAsync()
    {
        var database = await fixture.CreateDatabaseAsync();
        await Database.CreateTablesAsync(database);
        return (database, fixture.NewTopic("orders"), MessagingFixture.NewServiceName("consumer"));
    }
}
