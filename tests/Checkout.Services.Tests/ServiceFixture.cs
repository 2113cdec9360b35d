using Checkout.Contracts.Messaging.V1;
using Checkout.ServiceDefaults.Grpc;
using Dapper;
using Google.Protobuf;
using Npgsql;

namespace Checkout.Services.Tests;

/// <summary>One service under test: its own database on the shared cluster and its program in a child process.</summary>
public abstract class ServiceFixture(InfrastructureFixture infrastructure, string name, string database) : IAsyncLifetime
{
    public InfrastructureFixture Infrastructure { get; } = infrastructure;
    public ServiceProcess Service { get; private set; } = null!;
    public string ConnectionString { get; private set; } = null!;

    public virtual async ValueTask InitializeAsync()
    {
        ConnectionString = await Infrastructure.CreateDatabaseAsync(database);
        Service = await StartInstanceAsync();
    }

    /// <summary>Starts another instance of the service on the same database and broker (the caller disposes it).</summary>
    public Task<ServiceProcess> StartInstanceAsync() => ServiceProcess.StartAsync(name, new Dictionary<string, string>
    {
        [$"ConnectionStrings__{database}"] = ConnectionString,
        ["ConnectionStrings__kafka"] = Infrastructure.Kafka.BootstrapServers,
    });

    public Task<TResponse> CallAsync<TRequest, TResponse>(string method, TRequest request)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new() =>
        Service.Client.UnaryAsync(
            Method.FromDescriptor<TRequest, TResponse>(Descriptor.FindMethodByName(method)),
            request,
            new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));

    /// <summary>The proto service this fixture's service serves.</summary>
    protected abstract Google.Protobuf.Reflection.ServiceDescriptor Descriptor { get; }

    /// <summary>Publishes <paramref name="event"/> of order <paramref name="orderId"/> to "orders", as the Orders service's outbox does.</summary>
    public Task<Envelope> PublishOrderEventAsync(string orderId, IMessage @event) => Infrastructure.Publisher.PublishAsync("orders", orderId, @event);

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

    public virtual async ValueTask DisposeAsync()
    {
        if (Service is not null)
            await Service.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
