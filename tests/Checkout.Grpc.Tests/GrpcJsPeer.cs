namespace Checkout.Grpc.Tests;

/// <summary>A grpc-js echo server and a host whose AddGrpcServiceClient discovers it as service "echo".</summary>
public sealed class GrpcJsPeer : IAsyncLifetime
{
    public NodeServer Server { get; private set; } = null!;

    public EchoClientHost Host { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Server = await NodePeers.StartServerAsync();
        Host = new EchoClientHost(Server.Address);
    }

    public async ValueTask DisposeAsync()
    {
        if (Host is not null)
            await Host.DisposeAsync();
        if (Server is not null)
            await Server.DisposeAsync();
    }
}
