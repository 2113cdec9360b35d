using Aspire.Hosting.ApplicationModel;
using Checkout.AppHost.Integrations.Kafka;
using Checkout.Contracts;
using Confluent.Kafka;

namespace Checkout.Infrastructure.Tests;

/// <summary>
/// The embedded broker as the app host runs it: the saga's topics ready at start, its address and client settings
/// given to what references it, real Kafka clients served, and its fault injection felt by those clients.
/// </summary>
public sealed class EmbeddedKafkaTests(EmbeddedKafkaFixture fixture) : IClassFixture<EmbeddedKafkaFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private EmbeddedKafka Broker => fixture.App.Kafka;

    [Fact]
    public async Task The_saga_topics_and_their_dead_letter_topics_exist_at_start_on_every_broker_of_the_cluster()
    {
        Assert.Equal(fixture.BootstrapServers, await fixture.App.ConnectionStringAsync(EmbeddedKafkaFixture.Kafka, Ct));
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = fixture.BootstrapServers }).Build();

        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(30));

        Assert.Equal(EmbeddedKafkaFixture.Brokers, metadata.Brokers.Count);
        foreach (var topic in Topics.All.SelectMany(topic => new[] { topic, Topics.DeadLetter(topic) }))
        {
            var found = Assert.Single(metadata.Topics, candidate => candidate.Topic == topic);
            Assert.Equal(fixture.Resource.Partitions, found.Partitions.Count);
        }
    }

    [Fact]
    public async Task A_resource_that_references_the_broker_gets_its_address_and_the_client_settings_its_quirks_need()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Bound);
        var ended = await fixture.App.App.ResourceNotifications.WaitForResourceAsync(
            EmbeddedKafkaFixture.Referrer, e => e.Snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state), timeout.Token);
        Assert.Equal(0, ended.Snapshot.ExitCode);

        var environment = await ResourceLogs.WaitForLineAsync(fixture.App.App, EmbeddedKafkaFixture.Referrer, "ConnectionStrings__kafka=");

        Assert.Contains($"ConnectionStrings__kafka={fixture.BootstrapServers}", environment);
        Assert.NotEmpty(EmbeddedKafka.ClientEnvironment);
        foreach (var (name, value) in EmbeddedKafka.ClientEnvironment)
            Assert.Contains($"{name}={value}", environment);
    }

    [Fact]
    public async Task Messages_produced_are_consumed_by_a_consumer_group_that_resumes_from_its_committed_offsets()
    {
        var topic = NewTopic("orders", partitions: 3);
        using var producer = CreateProducer();
        var first = await ProduceAsync(producer, topic, Names("order", 0, 20));
        var group = $"billing-{Guid.NewGuid():N}";

        using (var consumer = CreateConsumer(group))
        {
            consumer.Subscribe(topic);
            Assert.Equal(first, await ConsumeAsync(consumer, first));
            consumer.Commit();
            consumer.Close();
        }

        var second = await ProduceAsync(producer, topic, Names("order", 20, 5));
        using (var consumer = CreateConsumer(group))
        {
            consumer.Subscribe(topic);
            // Only what follows the group's committed offsets.
            Assert.Equal(second, await ConsumeAsync(consumer, second));
            consumer.Close();
        }
    }

    [Fact]
    public async Task Clients_wait_while_a_broker_is_down_and_recover_when_it_comes_back()
    {
        // The mock picks each partition's leader at random: the test needs a topic led by more than one broker, so that
        // taking one down leaves partitions to deliver to.
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = fixture.BootstrapServers }).Build();
        string topic;
        List<int> leaders;
        do
        {
            topic = NewTopic("payments", partitions: 6, replicationFactor: EmbeddedKafkaFixture.Brokers);
            leaders = [.. admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Select(partition => partition.Leader)];
        }
        while (leaders.Distinct().Count() < 2);

        using var producer = CreateProducer();
        using var consumer = CreateConsumer($"shipping-{Guid.NewGuid():N}");
        consumer.Subscribe(topic);
        var before = await ProduceAsync(producer, topic, Names("payment", 0, 30));
        Assert.Equal(before, await ConsumeAsync(consumer, before));
        consumer.Commit();

        var down = leaders[0];
        Broker.SetBrokerDown(down);
        List<Task<DeliveryResult<string, string>>> duringOutage;
        try
        {
            duringOutage = Names("payment", 30, 30)
                .Select(name => producer.ProduceAsync(topic, new Message<string, string> { Key = name, Value = name }, Ct))
                .ToList();
            // The messages of the partitions it leads wait for it; the others are delivered meanwhile.
            await Eventually.UntilAsync(() => duringOutage.Any(task => task.IsCompletedSuccessfully), "a message is delivered through the brokers that stayed up");
            await Task.Delay(TimeSpan.FromSeconds(1), Ct);
            Assert.Contains(duringOutage, task => !task.IsCompleted);
        }
        finally
        {
            Broker.SetBrokerUp(down);
        }

        var expected = Names("payment", 30, 60).ToHashSet();
        var consuming = ConsumeAsync(consumer, expected);
        await Task.WhenAll(duringOutage).WaitAsync(Bound, Ct);
        await ProduceAsync(producer, topic, Names("payment", 60, 30));

        // A consumer that lost its group while the coordinator was down may be handed uncommitted messages again.
        var received = await consuming;
        Assert.Superset(expected, received);
        Assert.Subset(before.Union(expected).ToHashSet(), received);
        consumer.Close();
    }

    [Fact]
    public async Task An_injected_request_error_reaches_the_client_and_the_next_request_succeeds()
    {
        var topic = NewTopic("refunds", partitions: 1);
        using var producer = CreateProducer();
        await ProduceAsync(producer, topic, ["warm-up"]);

        const short produceApiKey = 0;
        Broker.PushRequestErrors(produceApiKey, ErrorCode.MsgSizeTooLarge);

        var error = await Assert.ThrowsAsync<ProduceException<string, string>>(
            () => producer.ProduceAsync(topic, new Message<string, string> { Key = "refund-1", Value = "refund-1" }, Ct));
        Assert.Equal(ErrorCode.MsgSizeTooLarge, error.Error.Code);
        var delivered = await producer.ProduceAsync(topic, new Message<string, string> { Key = "refund-2", Value = "refund-2" }, Ct);
        Assert.Equal(PersistenceStatus.Persisted, delivered.Status);
    }

    [Fact]
    public void Broker_ids_outside_the_cluster_are_refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Broker.SetBrokerDown(EmbeddedKafkaFixture.Brokers + 1));

        Assert.StartsWith($"Broker ids of this cluster are 1..{EmbeddedKafkaFixture.Brokers}.", error.Message);
    }

    [Fact]
    public async Task The_broker_runs_in_the_one_librdkafka_that_Confluent_Kafka_loaded()
    {
        var topic = NewTopic("one-library", partitions: 1);
        using var producer = CreateProducer();

        await ProduceAsync(producer, topic, ["key"]);

        // Aspire.Hosting.Testing runs the app host in this process: its broker and this test's client share it.
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        var libraries = process.Modules.Cast<System.Diagnostics.ProcessModule>()
            .Select(module => module.FileName)
            .Where(file => Path.GetFileName(file).Contains("rdkafka", StringComparison.Ordinal))
            .Distinct()
            .ToList();
        var library = Assert.Single(libraries);
        Assert.Contains("/runtimes/linux-x64/native/", library, StringComparison.Ordinal);
    }

    private string NewTopic(string purpose, int partitions, int replicationFactor = 1)
    {
        var topic = $"{purpose}-{Guid.NewGuid():N}";
        Broker.CreateTopic(topic, partitions, replicationFactor);
        return topic;
    }

    private IProducer<string, string> CreateProducer() =>
        new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = fixture.BootstrapServers,
            Acks = Acks.All,
            LingerMs = 1,
            ReconnectBackoffMaxMs = 500,
        }).Build();

    private IConsumer<string, string> CreateConsumer(string group) =>
        new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = fixture.BootstrapServers,
            GroupId = group,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            // The mock broker holds an empty fetch for the full wait (see EmbeddedKafka).
            FetchWaitMaxMs = 5,
            ReconnectBackoffMaxMs = 500,
            // A join cut off by a broker outage leaves a member the mock's group waits for until its session expires.
            SessionTimeoutMs = 6000,
        }).Build();

    private static async Task<HashSet<string>> ProduceAsync(IProducer<string, string> producer, string topic, IEnumerable<string> values)
    {
        var results = await Task.WhenAll(values.Select(value =>
            producer.ProduceAsync(topic, new Message<string, string> { Key = value, Value = value }, Ct)));
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
                    received.Add(result.Message.Value);
            }

            return received;
        }, Ct);
}
