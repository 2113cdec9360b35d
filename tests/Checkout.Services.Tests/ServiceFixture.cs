using Checkout.AppHost.Hosting;
using Checkout.Contracts.Messaging.V1;
using Grpc.Core;
using Checkout.Testing;
using Dapper;
using Google.Protobuf;
using Npgsql;

namespace Checkout.Services.Tests;

/// <summary>
/// One service under test (<paramref name="name"/>: catalog, orders...): a database of its own on the test bed's
/// cluster, and <see cref="InstanceCount"/> processes of its built program sharing that database and consumer group.
/// </summary>
public abstract class ServiceFixture(ServiceTestBed testBed, string name) : IAsyncLifetime
{
    private readonly ServiceDefinition definition = CheckoutSystem.Definitions.Single(d => d.Name == name);
    private readonly List<ServiceProcess> instances = [];

    public ServiceTestBed TestBed { get; } = testBed;
    public EventLog Events => TestBed.Events;
    public ServiceProcess Service => instances[0];
    public IReadOnlyList<ServiceProcess> Instances => instances;
    public string ConnectionString { get; private set; } = null!;

    protected virtual int InstanceCount => 1;

    /// <summary>Configuration of this service under test, on top of the test bed's.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Environment { get; } = new Dictionary<string, string?>();

    public virtual async ValueTask InitializeAsync()
    {
        // A database per fixture: two fixtures of one service (different settings) must not share state.
        ConnectionString = await TestBed.CreateDatabaseAsync($"{definition.Database}_{Guid.NewGuid():N}");
        // Together: instances that join the consumer group in its initial rebalance get their partitions at once,
        // where one joining a settled group waits for the embedded broker's rebalance to end.
        instances.AddRange(Enumerable.Range(0, InstanceCount).Select(_ => TestBed.CreateService(definition, ConnectionString, Environment)));
        try
        {
            await Task.WhenAll(instances.Select(instance => instance.StartAsync(TestContext.Current.CancellationToken)));
        }
        catch
        {
            await DisposeInstancesAsync();
            throw;
        }
    }

    /// <summary>Starts another instance of the service on the same database and broker (the caller disposes it).</summary>
    public Task<ServiceProcess> StartInstanceAsync() => StartInstanceAsync(ConnectionString);

    /// <summary>Starts an instance of the service on database <paramref name="connectionString"/> (the caller disposes it).</summary>
    public async Task<ServiceProcess> StartInstanceAsync(string connectionString)
    {
        var process = TestBed.CreateService(definition, connectionString, Environment);
        try
        {
            await process.StartAsync(TestContext.Current.CancellationToken);
            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Every call has a deadline and ends with the test.</summary>
    public static CallOptions CallOptions() => new(deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>Publishes <paramref name="event"/> of order <paramref name="orderId"/> to "orders", as the Orders service's outbox does.</summary>
    public Task<Envelope> PublishOrderEventAsync(string orderId, IMessage @event) => Events.PublishAsync("orders", orderId, @event);

    /// <summary>Waits until the service has handled (committed with its inbox row) every one of <paramref name="envelopes"/>.</summary>
    public async Task HandledAsync(params Envelope[] envelopes)
    {
        var ids = envelopes.Select(e => Guid.Parse(e.MessageId)).ToArray();
        await Eventually.UntilAsync(async () =>
        {
            await using var connection = await OpenDatabaseAsync();
            return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM messaging.inbox WHERE message_id = ANY(@ids)", new { ids }) == ids.Length;
        }, $"{name} handled {ids.Length} message(s)");
    }

    public async Task<NpgsqlConnection> OpenDatabaseAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        return connection;
    }

    /// <summary>The single value <paramref name="sql"/> selects from the service's database, as a long.</summary>
    public async Task<long> CountAsync(string sql)
    {
        await using var connection = await OpenDatabaseAsync();
        return Convert.ToInt64(await connection.ExecuteScalarAsync(sql), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The events the service wrote to its outbox for <paramref name="key"/>, published or not: an event is in the outbox
    /// as soon as the change that made it commits, so this sees a wrongly written one that the event log may not have yet.
    /// </summary>
    public Task<long> OutboxEventsAsync(string key) => CountAsync($"SELECT count(*) FROM messaging.outbox WHERE message_key = '{key}'");

    public virtual async ValueTask DisposeAsync()
    {
        await DisposeInstancesAsync();
        GC.SuppressFinalize(this);
    }

    private async Task DisposeInstancesAsync()
    {
        await Task.WhenAll(instances.Select(instance => instance.DisposeAsync().AsTask()));
        instances.Clear();
    }
}
