using Checkout.ServiceDefaults.Grpc;
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
