namespace Checkout.AppHost.Integrations.Kafka;

/// <summary>
/// librdkafka's Kafka-protocol mock cluster (<see cref="EmbeddedKafka"/>) run inside the app host's process: no
/// Kafka broker can be installed on the project's machines and Aspire.Hosting.Kafka (a container) is not available
/// here. It serves any Kafka client on 127.0.0.1 and lets tests inject faults through <see cref="Broker"/>.
/// </summary>
public sealed class EmbeddedKafkaResource : Resource, IResourceWithConnectionString
{
    private readonly BootstrapServers _bootstrapServers;

    public EmbeddedKafkaResource(string name, IReadOnlyList<string> topics, int partitions, int brokers = 1) : base(name)
    {
        Topics = topics;
        Partitions = partitions;
        Brokers = brokers;
        _bootstrapServers = new BootstrapServers(name);
    }

    /// <summary>The saga's topics, created at start with their dead-letter topics (the mock serves no CreateTopics).</summary>
    public IReadOnlyList<string> Topics { get; }

    public int Partitions { get; }

    /// <summary>The number of brokers of the cluster (Kafka:Brokers); their ids are 1..Brokers.</summary>
    public int Brokers { get; }

    /// <summary>The running broker, for fault injection; null until the resource has started.</summary>
    public EmbeddedKafka? Broker => _bootstrapServers.Broker;

    /// <summary>The bootstrap servers, known once the broker runs.</summary>
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{_bootstrapServers}");

    internal void Started(EmbeddedKafka broker) => _bootstrapServers.Started(broker);

    internal void FailedToStart(Exception exception) => _bootstrapServers.FailedToStart(exception);

    /// <summary>The broker's address as a value Aspire waits for when it builds a referencing project's environment.</summary>
    private sealed class BootstrapServers(string resourceName) : IValueProvider, IManifestExpressionProvider
    {
        private readonly TaskCompletionSource<EmbeddedKafka> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public EmbeddedKafka? Broker => _started.Task.IsCompletedSuccessfully ? _started.Task.Result : null;

        public string ValueExpression => $"{{{resourceName}.connectionString}}";

        public async ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default) =>
            (await _started.Task.WaitAsync(cancellationToken)).BootstrapServers;

        public void Started(EmbeddedKafka broker) => _started.TrySetResult(broker);

        public void FailedToStart(Exception exception) => _started.TrySetException(exception);
    }
}
