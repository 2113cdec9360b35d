using Checkout.Contracts.Events.V1;
using Checkout.ServiceDefaults.Messaging;
using Checkout.ServiceDefaults.Postgres;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Checkout.Messaging.Tests;

/// <summary>The identity of one running instance of a test service (two instances may share a service name).</summary>
internal sealed record TestInstance(string Name);

/// <summary>
/// A service as the saga services are built: a generic host with AddServiceDatabase + AddKafkaMessaging, started
/// against the embedded PostgreSQL and broker, stopped (gracefully) on dispose.
/// </summary>
internal sealed class TestService : IAsyncDisposable
{
    private TestService(IHost host, string connectionString, string instance)
    {
        Host = host;
        ConnectionString = connectionString;
        Instance = instance;
    }

    public IHost Host { get; }
    public string ConnectionString { get; }
    public string Instance { get; }
    public IOutbox Outbox => Host.Services.GetRequiredService<IOutbox>();

    public static async Task<TestService> StartAsync(
        string serviceName,
        string connectionString,
        string bootstrapServers,
        Action<MessagingBuilder> messaging,
        Action<MessagingOptions>? configure = null,
        Action<IServiceCollection>? services = null,
        string? instance = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:kafka"] = bootstrapServers,
            ["ConnectionStrings:servicedb"] = connectionString,
            ["Messaging:ServiceName"] = serviceName,
            ["Messaging:Partitions"] = "4",
            // The embedded broker answers an empty fetch only after fetch.wait.max.ms: keep it short.
            ["Messaging:Consumer:fetch.wait.max.ms"] = "5",
            // The embedded broker's group coordinator waits out a joining member's stale session before it rebalances.
            ["Messaging:Consumer:session.timeout.ms"] = "6000",
            ["Messaging:Consumer:heartbeat.interval.ms"] = "500",
            ["Messaging:Outbox:PollInterval"] = "00:00:01",
            ["Messaging:Outbox:PublishTimeout"] = "00:00:03",
            ["Messaging:Outbox:RetryMinDelay"] = "00:00:00.050",
            ["Messaging:Outbox:RetryMaxDelay"] = "00:00:01",
            ["Messaging:Consumers:MaxAttempts"] = "3",
            ["Messaging:Consumers:RetryMinDelay"] = "00:00:00.020",
            ["Messaging:Consumers:RetryMaxDelay"] = "00:00:00.200",
            ["Messaging:Consumers:CommitInterval"] = "00:00:00.200",
        });
        builder.Logging.AddProvider(new TestOutputLoggerProvider(TestContext.Current.TestOutputHelper!));
        builder.AddServiceDatabase("servicedb");
        messaging(builder.AddKafkaMessaging(configure));
        instance ??= serviceName;
        builder.Services.AddSingleton(new TestInstance(instance));
        services?.Invoke(builder.Services);
        var host = builder.Build();
        try
        {
            await host.StartAsync(TestContext.Current.CancellationToken);
        }
        catch
        {
            // A start that fails (as a test may want it to) leaves nothing running behind it.
            await host.StopAsync(CancellationToken.None);
            host.Dispose();
            throw;
        }

        return new TestService(host, connectionString, instance);
    }

    /// <summary>
    /// Writes one OrderPlaced per (key, sequence) into the outbox in one transaction, committed (through the outbox, or
    /// without it when <paramref name="wakeDispatcher"/> is false: the events then wait for the poll) or rolled back.
    /// </summary>
    public async Task<List<Guid>> WriteAsync(string topic, IEnumerable<(string Key, long Sequence)> events, bool commit = true, bool wakeDispatcher = true)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var ids = new List<Guid>();
        foreach (var (key, sequence) in events)
        {
            // A business change next to its event, as a service does it.
            await connection.ExecuteAsync("INSERT INTO business_changes (message_key, seq) VALUES (@key, @sequence)", new { key, sequence }, transaction);
            ids.Add(await Outbox.WriteAsync(transaction, topic, key, TestEvents.Placed(key, sequence)));
        }
        if (commit && wakeDispatcher)
            await Outbox.CommitAsync(transaction);
        else if (commit)
            await transaction.CommitAsync();
        else
            await transaction.RollbackAsync();
        return ids;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync(CancellationToken.None);
        Host.Dispose();
    }
}

internal static class TestEvents
{
    /// <summary>An event of order <paramref name="key"/>; its total carries the event's position in the order's history.</summary>
    public static OrderPlaced Placed(string key, long sequence) => new() { OrderId = key, CustomerId = "customer-1", TotalMinor = sequence, Currency = "EUR" };

    /// <summary>The sequence of an OrderPlaced read back from the topic.</summary>
    public static long Sequence(Confluent.Kafka.ConsumeResult<string, byte[]> result) =>
        OrderPlaced.Parser.ParseFrom(Checkout.Contracts.Messaging.V1.Envelope.Parser.ParseFrom(result.Message.Value).Payload).TotalMinor;

    public static IEnumerable<(string Key, long Sequence)> Interleaved(int keys, int perKey, string prefix = "order") =>
        Enumerable.Range(1, perKey).SelectMany(sequence => Enumerable.Range(0, keys).Select(key => ($"{prefix}-{key}", (long)sequence)));
}
