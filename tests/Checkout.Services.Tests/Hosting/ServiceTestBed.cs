using Checkout.AppHost.Infrastructure;

namespace Checkout.Services.Tests.Hosting;

/// <summary>
/// The real parts one service is tested against: an embedded PostgreSQL cluster with the service's database, an
/// embedded Kafka-protocol broker with the saga's topics, and an <see cref="EventLog"/> over them.
/// </summary>
public sealed class ServiceTestBed : IAsyncDisposable
{
    public const int Partitions = 4;
    public static readonly string[] SagaTopics = ["orders", "inventory", "payments"];

    private ServiceTestBed(EmbeddedPostgres postgres, EmbeddedKafka kafka, EventLog events)
    {
        Postgres = postgres;
        Kafka = kafka;
        Events = events;
    }

    public EmbeddedPostgres Postgres { get; }
    public EmbeddedKafka Kafka { get; }
    public EventLog Events { get; }

    public static async Task<ServiceTestBed> StartAsync(CancellationToken cancellationToken)
    {
        var postgres = await EmbeddedPostgres.StartAsync(cancellationToken: cancellationToken);
        var kafka = EmbeddedKafka.Start();
        // The embedded broker does not serve CreateTopics: the topics exist before the service looks for them.
        foreach (var topic in SagaTopics)
        {
            kafka.CreateTopic(topic, Partitions);
            kafka.CreateTopic(topic + ".dlq", Partitions);
        }
        return new ServiceTestBed(postgres, kafka, new EventLog(kafka.BootstrapServers, SagaTopics, Partitions));
    }

    /// <summary>A fresh database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken)
    {
        await Postgres.CreateDatabaseAsync(name, cancellationToken);
        return Postgres.GetConnectionString(name);
    }

    /// <summary>The environment a service needs to reach this test bed, tuned for the embedded broker.</summary>
    public Dictionary<string, string> Environment(string databaseName, string connectionString) => new()
    {
        [$"ConnectionStrings__{databaseName}"] = connectionString,
        ["ConnectionStrings__kafka"] = Kafka.BootstrapServers,
        ["Messaging__Partitions"] = Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture),
        // The embedded broker answers an empty fetch only after fetch.wait.max.ms: keep it short.
        ["Messaging__Consumer__fetch.wait.max.ms"] = "5",
        ["Messaging__Consumer__session.timeout.ms"] = "6000",
        ["Messaging__Consumer__heartbeat.interval.ms"] = "500",
        ["Messaging__Outbox__PollInterval"] = "00:00:01",
        ["Messaging__Consumers__RetryMinDelay"] = "00:00:00.020",
        ["Messaging__Consumers__RetryMaxDelay"] = "00:00:00.200",
        ["Messaging__Consumers__CommitInterval"] = "00:00:00.200",
    };

    public async ValueTask DisposeAsync()
    {
        Events.Dispose();
        Kafka.Dispose();
        await Postgres.DisposeAsync();
    }
}
