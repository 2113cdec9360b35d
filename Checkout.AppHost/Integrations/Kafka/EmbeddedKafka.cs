using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;

namespace Checkout.AppHost.Integrations.Kafka;

/// <summary>Options of <see cref="EmbeddedKafka"/>.</summary>
public sealed record EmbeddedKafkaOptions
{
    /// <summary>Number of brokers of the mock cluster; their ids are 1..Brokers.</summary>
    public int Brokers { get; init; } = 1;
}

/// <summary>
/// An in-process Kafka-protocol cluster: librdkafka's mock cluster (rdkafka_mock.h), listening on 127.0.0.1 ports
/// and serving any Kafka client. No Kafka broker can be installed on the project's machines; this one speaks the
/// real protocol (produce, consumer groups, offset commits, idempotence) and lets tests inject failures.
/// Its limits: memory only, one thread, a bounded log per partition, and a fetch with no data waits the full
/// fetch.wait.max.ms, so consumers on it should set FetchWaitMaxMs to a few milliseconds.
/// </summary>
public sealed class EmbeddedKafka : IDisposable
{
    private readonly MockClusterHandle _cluster;
    private readonly int _brokers;

    private EmbeddedKafka(MockClusterHandle cluster, int brokers, string bootstrapServers)
    {
        _cluster = cluster;
        _brokers = brokers;
        BootstrapServers = bootstrapServers;
    }

    /// <summary>The comma-separated host:port list of the brokers, for bootstrap.servers.</summary>
    public string BootstrapServers { get; }

    /// <summary>
    /// The settings a Checkout.ServiceDefaults.Messaging client needs on this broker, as environment variables (the
    /// form an AppHost hands to a service). Each works around a quirk of the mock that a real broker does not have:
    /// an empty fetch waits the full fetch.wait.max.ms (500 ms by default, so every saga hop would wait it); several
    /// produce requests in flight stall about 40 ms a round; a stale group member holds a rebalance for a whole
    /// session timeout (45 s by default).
    /// </summary>
    public static IReadOnlyDictionary<string, string> ClientEnvironment { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Messaging__Consumer__fetch.wait.max.ms"] = "5",
        ["Messaging__Producer__max.in.flight.requests.per.connection"] = "1",
        ["Messaging__Consumer__session.timeout.ms"] = "6000",
        ["Messaging__Consumer__heartbeat.interval.ms"] = "500",
    };

    /// <summary>Starts a mock cluster of <see cref="EmbeddedKafkaOptions.Brokers"/> brokers on free 127.0.0.1 ports.</summary>
    public static EmbeddedKafka Start(EmbeddedKafkaOptions? options = null)
    {
        options ??= new EmbeddedKafkaOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Brokers, 1, nameof(options.Brokers));

        LibrdKafkaLibrary.EnsureResolver();
        var client = CreateClient();
        var cluster = MockClusterHandle.Create(client, options.Brokers);
        if (cluster.IsInvalid)
        {
            client.Dispose();
            throw new EmbeddedInfrastructureException(
                $"librdkafka could not create a mock cluster of {options.Brokers} broker(s) (no free 127.0.0.1 port or thread?).");
        }

        // The cluster now holds a reference on the client: disposing ours leaves the client to the cluster's release.
        client.Dispose();
        // A consumer group's first join would otherwise wait 3 s for more members, at every start of every service.
        LibrdKafkaMockNative.MockGroupInitialRebalanceDelayMs(cluster, 0);
        var bootstraps = Marshal.PtrToStringUTF8(LibrdKafkaMockNative.MockClusterBootstraps(cluster));
        if (string.IsNullOrEmpty(bootstraps))
        {
            cluster.Dispose();
            throw new EmbeddedInfrastructureException("librdkafka's mock cluster reported no bootstrap servers.");
        }

        return new EmbeddedKafka(cluster, options.Brokers, bootstraps);
    }

    /// <summary>Creates <paramref name="topic"/> with the given partitions; an existing topic is an error.</summary>
    public void CreateTopic(string topic, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replicationFactor, _brokers);
        ThrowIfFailed(LibrdKafkaMockNative.MockTopicCreate(_cluster, topic, partitions, replicationFactor), $"create topic '{topic}'");
    }

    /// <summary>Takes broker <paramref name="brokerId"/> (1..Brokers) down: its connections are closed and refused.</summary>
    public void SetBrokerDown(int brokerId)
    {
        ThrowIfUnknownBroker(brokerId);
        ThrowIfFailed(LibrdKafkaMockNative.MockBrokerSetDown(_cluster, brokerId), $"take broker {brokerId} down");
    }

    /// <summary>Brings broker <paramref name="brokerId"/> (1..Brokers) back up.</summary>
    public void SetBrokerUp(int brokerId)
    {
        ThrowIfUnknownBroker(brokerId);
        ThrowIfFailed(LibrdKafkaMockNative.MockBrokerSetUp(_cluster, brokerId), $"bring broker {brokerId} up");
    }

    /// <summary>
    /// Makes the next requests of Kafka API <paramref name="apiKey"/> (0 Produce, 1 Fetch, 3 Metadata, 8 OffsetCommit...)
    /// fail with <paramref name="errors"/>, one error per request, in order, whichever broker receives them.
    /// </summary>
    public void PushRequestErrors(short apiKey, params ErrorCode[] errors)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(apiKey);
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Length == 0)
        {
            return;
        }

        var codes = Array.ConvertAll(errors, error => (int)error);
        LibrdKafkaMockNative.MockPushRequestErrorsArray(_cluster, apiKey, (nuint)codes.Length, codes);
    }

    /// <summary>Destroys the cluster and frees its ports; safe to call more than once.</summary>
    public void Dispose() => _cluster.Dispose();

    private static unsafe KafkaClientHandle CreateClient()
    {
        const int errorCapacity = 512;
        var error = stackalloc byte[errorCapacity];
        var conf = LibrdKafkaMockNative.ConfNew();
        // Warnings and errors only: the hosting client has no bootstrap.servers, which librdkafka would otherwise
        // report (as a notice) on every start.
        LibrdKafkaMockNative.ConfSet(conf, "log_level", "4", error, errorCapacity);
        var client = LibrdKafkaMockNative.New(LibrdKafkaMockNative.ProducerType, conf, error, errorCapacity);
        if (client.IsInvalid)
        {
            LibrdKafkaMockNative.ConfDestroy(conf);
            client.Dispose();
            var message = Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(error));
            throw new EmbeddedInfrastructureException($"librdkafka could not create the client that hosts the mock cluster: {message}");
        }

        return client;
    }

    private void ThrowIfUnknownBroker(int brokerId)
    {
        if (brokerId < 1 || brokerId > _brokers)
        {
            throw new ArgumentOutOfRangeException(nameof(brokerId), brokerId, $"Broker ids of this cluster are 1..{_brokers}.");
        }
    }

    // Calls on a disposed cluster never reach here: marshalling a closed SafeHandle throws ObjectDisposedException.
    private static void ThrowIfFailed(int error, string action)
    {
        if (error != 0)
        {
            throw new EmbeddedInfrastructureException(
                $"The embedded Kafka cluster could not {action}: {LibrdKafkaMockNative.DescribeError(error)}.");
        }
    }
}
