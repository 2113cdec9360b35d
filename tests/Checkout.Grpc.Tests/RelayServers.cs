using Checkout.Grpc.Tests.Echo;
using Checkout.ServiceDefaults.Grpc;
using Microsoft.Extensions.DependencyInjection;

namespace Checkout.Grpc.Tests;

/// <summary>
/// Two echo servers, as two services calling each other: the upstream one's Relay calls the downstream one through the
/// client AddGrpcServiceClient registers (service "echo", discovered from services:echo:grpc:0).
/// </summary>
public sealed class RelayServers : IAsyncLifetime
{
    public EchoServer Downstream { get; private set; } = null!;

    public EchoServer Upstream { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Downstream = await EchoServer.StartAsync(_ => { });
        Upstream = await EchoServer.StartAsync(builder =>
        {
            builder.Configuration[$"services:{EchoClientHost.ServiceName}:grpc:0"] = Downstream.Address.ToString();
            builder.Services.AddGrpcServiceClient<EchoService.EchoServiceClient>(EchoClientHost.ServiceName);
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (Upstream is not null)
            await Upstream.DisposeAsync();
        if (Downstream is not null)
            await Downstream.DisposeAsync();
    }
}
