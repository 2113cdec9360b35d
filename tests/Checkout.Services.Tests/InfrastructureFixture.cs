using Checkout.AppHost.Infrastructure;

namespace Checkout.Services.Tests;

/// <summary>The real parts every service under test uses: an embedded PostgreSQL cluster and Kafka-protocol broker.</summary>
public sealed class InfrastructureFixture : IAsyncLifetime
{
    /// <summary>The saga's topics. The embedded broker does not serve CreateTopics, so they are created through it.</summary>
    private static readonly string[] Topics = ["orders", "inventory", "payments"];

    public EmbeddedPostgres Postgres { get; private set; } = null!;
    public EmbeddedKafka Kafka { get; private set; } = null!;
    public EventPublisher Publisher { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Postgres = await EmbeddedPostgres.StartAsync();
        Kafka = EmbeddedKafka.Start();
        foreach (var topic in Topics)
        {
            Kafka.CreateTopic(topic, partitions: 6);
            Kafka.CreateTopic(topic + ".dlq", partitions: 6);
        }
        Publisher = new EventPublisher(Kafka.BootstrapServers);
    }

    /// <summary>Creates database <paramref name="name"/> and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await Postgres.CreateDatabaseAsync(name);
        return Postgres.GetConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        Publisher?.Dispose();
        Kafka?.Dispose();
        if (Postgres is not null)
            await Postgres.DisposeAsync();
    }
}
