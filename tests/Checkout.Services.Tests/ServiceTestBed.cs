using System.Globalization;
using Checkout.AppHost.Hosting;
using Checkout.AppHost.Infrastructure;
using Checkout.Testing;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Checkout.Services.Tests;

/// <summary>
/// The real parts every service under test runs against, started once for the test run: an embedded PostgreSQL
/// cluster (a database per service fixture), an embedded Kafka-protocol broker with the saga's topics and their
/// .dlq (it does not serve CreateTopics), and an <see cref="EventLog"/> over those topics.
/// </summary>
public sealed class ServiceTestBed : IAsyncLifetime
{
    /// <summary>Settings that make the services react in test time rather than production time.</summary>
    private static readonly Dictionary<string, string?> TestSpeed = new(StringComparer.Ordinal)
    {
        ["Messaging__Partitions"] = CheckoutSystem.TopicPartitions.ToString(CultureInfo.InvariantCulture),
        ["Messaging__Outbox__PollInterval"] = "00:00:01",
        ["Messaging__Consumers__RetryMinDelay"] = "00:00:00.020",
        ["Messaging__Consumers__RetryMaxDelay"] = "00:00:00.200",
        ["Messaging__Consumers__CommitInterval"] = "00:00:00.200",
    };

    private readonly ILoggerFactory loggerFactory = LoggerFactory.Create(logging => logging.AddProvider(new TestOutputLoggerProvider()));
    private readonly string repositoryRoot = CheckoutSystem.FindRepositoryRoot();

    public EmbeddedPostgres Postgres { get; private set; } = null!;
    public EmbeddedKafka Kafka { get; private set; } = null!;
    public EventLog Events { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Postgres = await EmbeddedPostgres.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        Kafka = EmbeddedKafka.Start();
        foreach (var topic in CheckoutSystem.Topics)
        {
            Kafka.CreateTopic(topic, CheckoutSystem.TopicPartitions);
            Kafka.CreateTopic(topic + ".dlq", CheckoutSystem.TopicPartitions);
        }
        Events = new EventLog(Kafka.BootstrapServers, CheckoutSystem.Topics, CheckoutSystem.TopicPartitions);
    }

    /// <summary>Creates a fresh database named <paramref name="name"/> and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await Postgres.CreateDatabaseAsync(name, TestContext.Current.CancellationToken);
        return Postgres.GetConnectionString(name);
    }

    /// <summary>
    /// A (not yet started) process of <paramref name="service"/> whose database is <paramref name="connectionString"/>,
    /// on this broker with the embedded broker's client settings and <see cref="TestSpeed"/>, then <paramref name="environment"/>.
    /// </summary>
    public ServiceProcess CreateService(ServiceDefinition service, string connectionString, IReadOnlyDictionary<string, string?> environment)
    {
        var variables = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            // Several services and instances share the cluster's max_connections.
            [$"ConnectionStrings__{service.Database}"] = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = CheckoutSystem.MaxPoolSizePerService }.ConnectionString,
            ["ConnectionStrings__kafka"] = Kafka.BootstrapServers,
        };
        foreach (var (name, value) in EmbeddedKafka.ClientEnvironment)
            variables[name] = value;
        foreach (var (name, value) in TestSpeed.Concat(environment))
            variables[name] = value;
        return new ServiceProcess(new ServiceProcessOptions
        {
            Name = service.Name,
            ProjectPath = Path.Combine(repositoryRoot, service.ProjectPath),
            Environment = variables,
            Logger = loggerFactory.CreateLogger("Checkout.Services." + service.Name),
        });
    }

    public async ValueTask DisposeAsync()
    {
        Events?.Dispose();
        Kafka?.Dispose();
        if (Postgres is not null)
            await Postgres.DisposeAsync();
        loggerFactory.Dispose();
    }
}
