using Checkout.ServiceDefaults.Messaging;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Checkout.Messaging.Tests;

public sealed class OutboxTests(MessagingFixture fixture, MultiBrokerFixture multiBroker) : IClassFixture<MultiBrokerFixture>
{
    [Fact]
    public async Task A_rolled_back_transaction_publishes_nothing_and_a_committed_one_exactly_its_events_in_order_per_key()
    {
        var database = await fixture.CreateDatabaseAsync();
        await Database.CreateTablesAsync(database);
        var topic = fixture.NewTopic("orders");
        var probe = new TestProbe();
        await using var service = await TestService.StartAsync(MessagingFixture.NewServiceName("orders"), database, fixture.Kafka.BootstrapServers,
            m => m.AddOutbox().AddConsumer<EffectsHandler>(topic), services: s => s.AddSingleton(probe));

        var rolledBack = await service.WriteAsync(topic, TestEvents.Interleaved(keys: 3, perKey: 2), commit: false);
        var committedEvents = TestEvents.Interleaved(keys: 3, perKey: 4).ToList();
        var committed = await service.WriteAsync(topic, committedEvents);

        await Eventually.UntilAsync(async () => (await Database.EffectsAsync(database)).Count >= committed.Count, "the committed events are handled");
        await Eventually.UntilAsync(async () => await Database.UnsentAsync(database) == 0, "the outbox is drained");

        var published = RawKafka.ReadAll(fixture.Kafka.BootstrapServers, topic);
        Assert.Equal(committed.Order(), published.Select(RawKafka.MessageId).Order());
        Assert.Empty(published.Select(RawKafka.MessageId).Intersect(rolledBack));
        OrderAssert.PerKeyInOrder(published.Select(r => (r.Message.Key, TestEvents.Sequence(r))), committedEvents);
        var effects = await Database.EffectsAsync(database);
        Assert.Equal(committed.Order(), effects.Select(e => e.MessageId).Order());
        OrderAssert.PerKeyInOrder(effects.Select(e => (e.MessageKey, e.Seq)), committedEvents);

        var health = await service.Host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HealthStatus.Healthy, health.Status);
        Assert.Contains("messaging-outbox", health.Entries.Keys);
        Assert.Contains($"messaging-consumer-{topic}", health.Entries.Keys);
    }

    [Fact]
    public async Task Events_committed_through_the_outbox_or_by_a_consumer_are_published_at_once_not_at_the_next_poll()
    {
        var database = await fixture.CreateDatabaseAsync();
        await Database.CreateTablesAsync(database);
        var (input, output) = (fixture.NewTopic("orders"), fixture.NewTopic("forwarded"));
        // The fallback poll never comes during the test: only the wake-up after each commit can publish.
        await using var service = await TestService.StartAsync(MessagingFixture.NewServiceName("prompt"), database, fixture.Kafka.BootstrapServers,
            m => m.AddOutbox().AddConsumer<ForwardingHandler>(input), configure: o => o.Outbox.PollInterval = TimeSpan.FromHours(1),
            services: s => s.AddSingleton(new ForwardTo(output)));

        // The dispatcher's first rounds (at start-up) publish without a wake-up: let them pass, then show that a row
        // committed without the outbox stays unsent, so that only the wake-ups below can publish anything.
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
        await service.WriteAsync(fixture.NewTopic("unannounced"), [("unannounced", 1)], commit: true, wakeDispatcher: false);
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        Assert.Equal(1, await Database.UnsentAsync(database));

        var written = await service.WriteAsync(input, TestEvents.Interleaved(keys: 3, perKey: 2));

        await Eventually.UntilAsync(() => RawKafka.ReadAll(fixture.Kafka.BootstrapServers, input).Count == written.Count,
            "the events committed through IOutbox.CommitAsync are published", deadline: TimeSpan.FromSeconds(30));
        await Eventually.UntilAsync(() => RawKafka.ReadAll(fixture.Kafka.BootstrapServers, output).Count == written.Count,
            "the events the consumer wrote in its transactions are published", deadline: TimeSpan.FromSeconds(30));
        await Eventually.UntilAsync(async () => await Database.UnsentAsync(database) == 0, "every row is marked sent", deadline: TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_backlog_larger_than_a_round_is_published_round_after_round_not_a_round_per_poll()
    {
        var database = await fixture.CreateDatabaseAsync();
        await Database.CreateTablesAsync(database);
        var topic = fixture.NewTopic("backlog");
        // Rounds of 10 rows, and no fallback poll during the test: one wake-up must drain the whole backlog.
        await using var service = await TestService.StartAsync(MessagingFixture.NewServiceName("backlog"), database, fixture.Kafka.BootstrapServers,
            m => m.AddOutbox(), configure: o =>
            {
                o.Outbox.PollInterval = TimeSpan.FromHours(1);
                o.Outbox.BatchSize = 10;
            });
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken); // the start-up rounds

        var events = TestEvents.Interleaved(keys: 6, perKey: 10);
        var written = await service.WriteAsync(topic, events);

        await Eventually.UntilAsync(() => RawKafka.ReadAll(fixture.Kafka.BootstrapServers, topic).Count == written.Count,
            $"all {written.Count} events are published after one wake-up", deadline: TimeSpan.FromSeconds(30));
        await Eventually.UntilAsync(async () => await Database.UnsentAsync(database) == 0, "every row is marked sent", deadline: TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_consumer_transaction_that_fails_after_an_outbox_write_does_not_swallow_the_events_of_the_connection_next_transaction()
    {
        // Npgsql hands a pooled connection's next transaction the same NpgsqlTransaction object: events a failed
        // consumer transaction buffered must not stay attached to it. A small pool makes the API writes below reuse
        // the connections the failed transactions ran on.
        var database = await fixture.CreateDatabaseAsync() + ";Maximum Pool Size=4";
        var (input, output) = (fixture.NewTopic("orders"), fixture.NewTopic("forwarded"));
        await RawKafka.ProduceAsync(fixture.Kafka.BootstrapServers, input,
            TestEvents.Interleaved(keys: 3, perKey: 2).Select(e => (e.Key, RawKafka.Envelope(e.Key, e.Sequence).ToByteArray())));
        await using var service = await TestService.StartAsync(MessagingFixture.NewServiceName("failing"), database, fixture.Kafka.BootstrapServers,
            m => m.AddOutbox().AddConsumer<PublishThenFailHandler>(input), services: s => s.AddSingleton(new ForwardTo(output)));
        await Eventually.UntilAsync(() => Task.FromResult(RawKafka.ReadAll(fixture.Kafka.BootstrapServers, input + ".dlq").Count == 6),
            "every message failed its attempts and went to the dead-letter topic");

        var dataSource = service.Host.Services.GetRequiredService<NpgsqlDataSource>();
        var written = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
            written.Add(await service.Outbox.WriteAsync(transaction, output, $"api-{i}", TestEvents.Placed($"api-{i}", i), cancellationToken: TestContext.Current.CancellationToken));
            await service.Outbox.CommitAsync(transaction, TestContext.Current.CancellationToken);
        }

        var stored = await Database.ScalarAsync(database,
            $"SELECT count(*) FROM messaging.outbox WHERE message_id IN ({string.Join(", ", written.Select(id => $"'{id}'"))})");
        Assert.Equal(written.Count, stored);
        Assert.Equal(0L, await Database.ScalarAsync(database, "SELECT count(*) FROM messaging.outbox WHERE message_key NOT LIKE 'api-%'"));
    }

    [Fact]
    public async Task Events_written_while_every_broker_is_down_are_all_delivered_in_order_per_key_once_the_brokers_return()
    {
        const int brokers = MultiBrokerFixture.Brokers;
        var kafka = multiBroker.Kafka;
        var database = await fixture.CreateDatabaseAsync();
        await Database.CreateTablesAsync(database);
        var topic = fixture.NewTopic("orders", kafka);
        await using var service = await TestService.StartAsync("orders", database, kafka.BootstrapServers, m => m.AddOutbox(),
            configure: o => o.Outbox.UnhealthyAge = TimeSpan.FromSeconds(1));

        for (var broker = 1; broker <= brokers; broker++)
            kafka.SetBrokerDown(broker);
        var events = TestEvents.Interleaved(keys: 25, perKey: 40).ToList();
        var written = new List<Guid>();
        foreach (var transaction in events.Chunk(50))
            written.AddRange(await service.WriteAsync(topic, transaction));
        Assert.Equal(1_000, written.Count);

        // The dispatcher has tried and failed, and /health says the backlog is stuck.
        await Eventually.UntilAsync(async () => await Database.ScalarAsync(database, "SELECT count(*) FROM messaging.outbox WHERE last_error IS NOT NULL") > 0,
            "a publish attempt fails while the brokers are down");
        var health = service.Host.Services.GetRequiredService<HealthCheckService>();
        await Eventually.UntilAsync(async () => (await health.CheckHealthAsync()).Entries["messaging-outbox"].Status == HealthStatus.Unhealthy,
            "the outbox health check reports the stuck backlog");
        Assert.Equal(1_000, await Database.UnsentAsync(database));

        for (var broker = 1; broker <= brokers; broker++)
            kafka.SetBrokerUp(broker);
        await Eventually.UntilAsync(async () => await Database.UnsentAsync(database) == 0, "the outbox is drained after the brokers return",
            TimeSpan.FromMinutes(3));
        await Eventually.UntilAsync(async () => (await health.CheckHealthAsync()).Entries["messaging-outbox"].Status == HealthStatus.Healthy,
            "the outbox health check recovers");

        var published = RawKafka.ReadAll(kafka.BootstrapServers, topic);
        // Publishes that timed out may have reached the broker: the first copy of each event is what counts.
        var firstCopies = published.DistinctBy(RawKafka.MessageId).ToList();
        Assert.Equal(written.Order(), firstCopies.Select(RawKafka.MessageId).Order());
        OrderAssert.PerKeyInOrder(firstCopies.Select(r => (r.Message.Key, TestEvents.Sequence(r))), events);
    }

    [Fact]
    public async Task A_crash_between_publish_and_mark_sent_republishes_and_the_inbox_makes_the_effect_happen_once()
    {
        var database = await fixture.CreateDatabaseAsync();
        await Database.CreateTablesAsync(database);
        var topic = fixture.NewTopic("orders");
        var serviceName = MessagingFixture.NewServiceName("orders");
        await using var service = await TestService.StartAsync(serviceName, database, fixture.Kafka.BootstrapServers,
            m => m.AddOutbox().AddConsumer<EffectsHandler>(topic), services: s => s.AddSingleton(new TestProbe()));
        // The first two attempts to mark rows sent fail after the broker acknowledged them, as a crash there would.
        await Database.ExecuteAsync(database, MarkSentFault(failures: 2));

        var events = TestEvents.Interleaved(keys: 4, perKey: 5).ToList();
        var written = await service.WriteAsync(topic, events);

        await Eventually.UntilAsync(async () => await Database.UnsentAsync(database) == 0, "the outbox is drained");
        await Eventually.UntilAsync(async () => (await Database.EffectsAsync(database)).Count >= written.Count, "every event is handled");
        var published = RawKafka.ReadAll(fixture.Kafka.BootstrapServers, topic);
        Assert.True(published.Count >= 3 * written.Count, $"Each event is published once per attempt (3), saw {published.Count} copies of {written.Count}.");
        Assert.Equal(written.Order(), published.Select(RawKafka.MessageId).Distinct().Order());

        // Every copy has reached the consumer (its group's committed offsets are at the end) and still: one effect each.
        await Eventually.UntilAsync(() => CommittedToEnd(fixture.Kafka.BootstrapServers, serviceName, topic), "the consumer has read every copy");
        var effects = await Database.EffectsAsync(database);
        Assert.Equal(written.Order(), effects.Select(e => e.MessageId).Order());
        OrderAssert.PerKeyInOrder(effects.Select(e => (e.MessageKey, e.Seq)), events);
    }

    [Fact]
    public async Task Two_dispatchers_on_one_outbox_publish_each_event_once_in_order_per_key()
    {
        var database = await fixture.CreateDatabaseAsync();
        await Database.CreateTablesAsync(database);
        var topic = fixture.NewTopic("orders");
        // Small rounds make the two instances interleave many claims.
        Action<Checkout.ServiceDefaults.Messaging.MessagingOptions> smallRounds = o => o.Outbox.BatchSize = 20;
        await using var first = await TestService.StartAsync("orders", database, fixture.Kafka.BootstrapServers, m => m.AddOutbox(), smallRounds, instance: "orders-1");
        await using var second = await TestService.StartAsync("orders", database, fixture.Kafka.BootstrapServers, m => m.AddOutbox(), smallRounds, instance: "orders-2");

        var events = TestEvents.Interleaved(keys: 40, perKey: 25).ToList();
        // Writers on both instances at once, each order's events written in order.
        var written = (await Task.WhenAll(events.GroupBy(e => int.Parse(e.Key.Split('-')[1]) % 4).Select(async writer =>
        {
            var ids = new List<Guid>();
            var instance = writer.Key % 2 == 0 ? first : second;
            foreach (var transaction in writer.Chunk(5))
                ids.AddRange(await instance.WriteAsync(topic, transaction));
            return ids;
        }))).SelectMany(ids => ids).ToList();

        await Eventually.UntilAsync(async () => await Database.UnsentAsync(database) == 0, "the outbox is drained");
        var published = RawKafka.ReadAll(fixture.Kafka.BootstrapServers, topic);
        Assert.Equal(written.Order(), published.Select(RawKafka.MessageId).Order());
        OrderAssert.PerKeyInOrder(published.Select(r => (r.Message.Key, TestEvents.Sequence(r))), events);
    }

    /// <summary>A trigger that makes the first <paramref name="failures"/> mark-sent updates fail (a sequence survives the rollback).</summary>
    internal static string MarkSentFault(int failures) =>
        $"""
        CREATE SEQUENCE mark_sent_faults;
        CREATE FUNCTION fail_mark_sent() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.sent_at IS NOT NULL AND OLD.sent_at IS NULL AND nextval('mark_sent_faults') <= {failures} THEN
                RAISE EXCEPTION 'simulated crash between publish and mark-sent';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER fail_mark_sent BEFORE UPDATE ON messaging.outbox FOR EACH ROW EXECUTE FUNCTION fail_mark_sent();
        """;

    /// <summary>Whether <paramref name="group"/> has committed offsets at the end of every partition of <paramref name="topic"/>.</summary>
    internal static bool CommittedToEnd(string bootstrapServers, string group, string topic)
    {
        using var consumer = new Confluent.Kafka.ConsumerBuilder<string, byte[]>(new Confluent.Kafka.ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = group,
            EnableAutoCommit = false,
        }).Build();
        var partitions = Enumerable.Range(0, MessagingFixture.Partitions).Select(p => new Confluent.Kafka.TopicPartition(topic, p)).ToList();
        var committed = consumer.Committed(partitions, TimeSpan.FromSeconds(30));
        return committed.All(c =>
        {
            var high = consumer.QueryWatermarkOffsets(c.TopicPartition, TimeSpan.FromSeconds(30)).High.Value;
            return high == 0 || c.Offset.Value == high;
        });
    }
}
