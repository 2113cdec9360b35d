using Checkout.AppHost.Integrations.Kafka;
using Checkout.Testing.AppHost;
using Npgsql;

namespace Checkout.Messaging.Tests;

/// <summary>
/// The real parts every test uses: the app host's PostgreSQL and Kafka-protocol broker, run through Aspire as the app
/// host runs them (CheckoutApp with only those two resources), the data folder temporary and removed at the end.
/// </summary>
public sealed class MessagingFixture : IAsyncLifetime
{
    private CheckoutApp? _app;

    public CheckoutApp App => _app ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>The embedded broker, for its address, its topics and its fault injection.</summary>
    public EmbeddedKafka Kafka => App.Kafka;

    /// <summary>A superuser connection string to the server's maintenance database, for what a test does to the server itself.</summary>
    public string AdminConnectionString { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        _app = await CheckoutApp.StartAsync(new CheckoutAppOptions { Resources = ["postgres", "kafka"] }, TestContext.Current.CancellationToken);
        AdminConnectionString = new NpgsqlConnectionStringBuilder(await App.ConnectionStringAsync("postgres")) { Database = "postgres" }.ConnectionString;
    }

    /// <summary>A fresh database of the cluster; returns its connection string.</summary>
    public Task<string> CreateDatabaseAsync() =>
        App.CreateDatabaseAsync("test_" + Guid.NewGuid().ToString("N")[..16], TestContext.Current.CancellationToken);

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
        if (_app is not null)
            await _app.DisposeAsync();
    }
}
