using Checkout.AppHost.Infrastructure;

namespace Checkout.Messaging.Tests;

/// <summary>The real parts every test uses: an embedded PostgreSQL cluster and an embedded Kafka-protocol broker.</summary>
public sealed class MessagingFixture : IAsyncLifetime
{
    public EmbeddedPostgres Postgres { get; private set; } = null!;
    public EmbeddedKafka Kafka { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Postgres = await EmbeddedPostgres.StartAsync();
        Kafka = EmbeddedKafka.Start();
    }

    /// <summary>A fresh database of the cluster; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "test_" + Guid.NewGuid().ToString("N")[..16];
        await Postgres.CreateDatabaseAsync(name, TestContext.Current.CancellationToken);
        return Postgres.GetConnectionString(name);
    }

    /// <summary>
    /// A topic no other test uses, created with its dead-letter topic. The embedded broker does not implement the
    /// CreateTopics request, so tests create topics through it; the service then finds them and creates nothing.
    /// </summary>
    public string NewTopic(string purpose, EmbeddedKafka? kafka = null)
    {
        var topic = $"{purpose}-{Guid.NewGuid():N}"[..(purpose.Length + 13)];
        (kafka ?? Kafka).CreateTopic(topic, Partitions);
        (kafka ?? Kafka).CreateTopic(topic + ".dlq", Partitions);
        return topic;
    }

    public const int Partitions = 4;

    /// <summary>A service name (and so consumer group) of its own: a group left by an earlier test would delay the join.</summary>
    public static string NewServiceName(string purpose) => $"{purpose}-{Guid.NewGuid():N}"[..(purpose.Length + 9)];

    public async ValueTask DisposeAsync()
    {
        Kafka?.Dispose();
        if (Postgres is not null)
            await Postgres.DisposeAsync();
    }
}
