using Checkout.AppHost.Infrastructure;
using Confluent.Kafka;

namespace Checkout.Infrastructure.Tests;

public sealed class EmbeddedKafkaTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Messages_produced_are_consumed_by_a_consumer_group_that_resumes_from_its_committed_offsets()
    {
        using var kafka = EmbeddedKafka.Start();
        kafka.CreateTopic("orders", partitions: 3);
        using var producer = CreateProducer(kafka);
        var first = await ProduceAsync(producer, "orders", Names("order", 0, 20));

        using (var consumer = CreateConsumer(kafka, "billing"))
        {
            consumer.Subscribe("orders");
            Assert.Equal(first, await ConsumeAsync(consumer, first));
            consumer.Commit();
            consumer.Close();
        }

        var second = await ProduceAsync(producer, "orders", Names("order", 20, 5));
        using (var consumer = CreateConsumer(kafka, "billing"))
        {
            consumer.Subscribe("orders");
            // Only what follows the group's committed offsets.
            Assert.Equal(second, await ConsumeAsync(consumer, second));
            consumer.Close();
        }
    }

    [Fact]
    public async Task Clients_recover_when_a_broker_goes_down_and_comes_back()
    {
        using var kafka = EmbeddedKafka.Start(new EmbeddedKafkaOptions { Brokers = 3 });
        kafka.CreateTopic("payments", partitions: 6, replicationFactor: 3);
        using var producer = CreateProducer(kafka);
        using var consumer = CreateConsumer(kafka, "shipping");
        consumer.Subscribe("payments");
        var before = await ProduceAsync(producer, "payments", Names("payment", 0, 30));
        Assert.Equal(before, await ConsumeAsync(consumer, before));
        consumer.Commit();

        kafka.SetBrokerDown(1);
        var expected = Names("payment", 30, 60).ToHashSet();
        var consuming = ConsumeAsync(consumer, expected);
        var duringOutage = Names("payment", 30, 30)
            .Select(name => producer.ProduceAsync("payments", new Message<string, string> { Key = name, Value = name }, Cancellation))
            .ToList();
        // Broker 1 leads some of the six partitions: their messages wait for it; the others are delivered meanwhile.
        Assert.True(
            await ProcessTable.EventuallyAsync(() => duringOutage.Any(task => task.IsCompletedSuccessfully), Bound),
            "no message was delivered through the brokers that stayed up");
        kafka.SetBrokerUp(1);
        await Task.WhenAll(duringOutage).WaitAsync(Bound, Cancellation);
        await ProduceAsync(producer, "payments", Names("payment", 60, 30));

        // A consumer that lost its group while the coordinator was down may be handed uncommitted messages again.
        var received = await consuming;
        Assert.Superset(expected, received);
        Assert.Subset(before.Union(expected).ToHashSet(), received);
        consumer.Close();
    }

    [Fact]
    public async Task An_injected_request_error_reaches_the_client_and_the_next_request_succeeds()
    {
        using var kafka = EmbeddedKafka.Start();
        kafka.CreateTopic("refunds", partitions: 1);
        using var producer = CreateProducer(kafka);
        await ProduceAsync(producer, "refunds", ["warm-up"]);

        const short produceApiKey = 0;
        kafka.PushRequestErrors(produceApiKey, ErrorCode.MsgSizeTooLarge);

        var error = await Assert.ThrowsAsync<ProduceException<string, string>>(
            () => producer.ProduceAsync("refunds", new Message<string, string> { Key = "refund-1", Value = "refund-1" }, Cancellation));
        Assert.Equal(ErrorCode.MsgSizeTooLarge, error.Error.Code);
        var delivered = await producer.ProduceAsync("refunds", new Message<string, string> { Key = "refund-2", Value = "refund-2" }, Cancellation);
        Assert.Equal(PersistenceStatus.Persisted, delivered.Status);
    }

    [Fact]
    public void Dispose_frees_the_broker_ports_once_and_later_calls_are_refused()
    {
        var kafka = EmbeddedKafka.Start(new EmbeddedKafkaOptions { Brokers = 2 });
        var ports = kafka.BootstrapServers.Split(',').Select(address => int.Parse(address[(address.LastIndexOf(':') + 1)..])).ToList();
        Assert.Equal(2, ports.Count);
        Assert.All(ports, port => Assert.False(LoopbackPorts.IsFree(port)));

        kafka.Dispose();
        kafka.Dispose();

        Assert.All(ports, port => Assert.True(LoopbackPorts.IsFree(port)));
        Assert.Throws<ObjectDisposedException>(() => kafka.CreateTopic("late", 1));
    }

    [Fact]
    public void Broker_ids_outside_the_cluster_are_refused()
    {
        using var kafka = EmbeddedKafka.Start(new EmbeddedKafkaOptions { Brokers = 3 });

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => kafka.SetBrokerDown(4));

        Assert.StartsWith("Broker ids of this cluster are 1..3.", error.Message);
    }

    [Fact]
    public async Task The_broker_runs_in_the_one_librdkafka_that_Confluent_Kafka_loaded()
    {
        using var kafka = EmbeddedKafka.Start();
        kafka.CreateTopic("one-library", partitions: 1);
        using var producer = CreateProducer(kafka);

        await ProduceAsync(producer, "one-library", ["key"]);

        using var process = System.Diagnostics.Process.GetCurrentProcess();
        var libraries = process.Modules.Cast<System.Diagnostics.ProcessModule>()
            .Select(module => module.FileName)
            .Where(file => Path.GetFileName(file).Contains("rdkafka", StringComparison.Ordinal))
            .Distinct()
            .ToList();
        var library = Assert.Single(libraries);
        Assert.Contains("/runtimes/linux-x64/native/", library, StringComparison.Ordinal);
    }

    private static IProducer<string, string> CreateProducer(EmbeddedKafka kafka)
    {
        return new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            Acks = Acks.All,
            LingerMs = 1,
            ReconnectBackoffMaxMs = 500,
        }).Build();
    }

    private static IConsumer<string, string> CreateConsumer(EmbeddedKafka kafka, string group)
    {
        return new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            GroupId = group,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            // The mock broker holds an empty fetch for the full wait (see EmbeddedKafka).
            FetchWaitMaxMs = 5,
            ReconnectBackoffMaxMs = 500,
            // A join cut off by a broker outage leaves a member the mock's group waits for until its session expires.
            SessionTimeoutMs = 6000,
        }).Build();
    }

    private static async Task<HashSet<string>> ProduceAsync(IProducer<string, string> producer, string topic, IEnumerable<string> values)
    {
        var results = await Task.WhenAll(values.Select(value =>
            producer.ProduceAsync(topic, new Message<string, string> { Key = value, Value = value }, Cancellation)));
        Assert.All(results, result => Assert.Equal(PersistenceStatus.Persisted, result.Status));
        return results.Select(result => result.Message.Value).ToHashSet();
    }

    private static IEnumerable<string> Names(string prefix, int start, int count) =>
        Enumerable.Range(start, count).Select(i => $"{prefix}-{i}");

    /// <summary>Consumes until every <paramref name="expected"/> value arrived, within <see cref="Bound"/>; returns all it received.</summary>
    private static Task<HashSet<string>> ConsumeAsync(IConsumer<string, string> consumer, IReadOnlySet<string> expected) =>
        Task.Run(() =>
        {
            var received = new HashSet<string>();
            var deadline = DateTime.UtcNow + Bound;
            while (!received.IsSupersetOf(expected))
            {
                Assert.True(DateTime.UtcNow < deadline, $"received {received.Intersect(expected).Count()} of {expected.Count} messages");
                if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { } result)
                {
                    received.Add(result.Message.Value);
                }
            }

            return received;
        }, Cancellation);
}
