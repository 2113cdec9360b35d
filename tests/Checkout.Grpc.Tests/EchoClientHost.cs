using Checkout.Grpc.Tests.Echo;
using Checkout.ServiceDefaults.Grpc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Checkout.Grpc.Tests;

/// <summary>
/// A host that calls the echo service as our services call each other: AddServiceDefaults, then
/// AddGrpcServiceClient for the service named "echo", whose endpoints come from configuration as the app host gives
/// them (services__echo__grpc__0, services__echo__grpc__1, ...).
/// </summary>
public sealed class EchoClientHost : IAsyncDisposable
{
    public const string ServiceName = "echo";

    private readonly IHost _host;

    public EchoClientHost(IReadOnlyList<Uri> endpoints, Action<HostApplicationBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(endpoints.Select((endpoint, i) =>
            KeyValuePair.Create<string, string?>($"services:{ServiceName}:grpc:{i}", endpoint.ToString())));
        builder.Logging.AddProvider(Logs).AddProvider(new TestOutputLoggerProvider());
        builder.AddServiceDefaults();
        builder.Services.AddGrpcServiceClient<EchoService.EchoServiceClient>(ServiceName);
        configure?.Invoke(builder);
        _host = builder.Build();
        // Started as a service's host is: its hosted services build the tracer and meter providers.
        _host.Start();
    }

    public EchoClientHost(params Uri[] endpoints)
        : this((IReadOnlyList<Uri>)endpoints)
    {
    }

    public CapturedLogs Logs { get; } = new();

    public IServiceProvider Services => _host.Services;

    /// <summary>A typed client, as a service would have it injected.</summary>
    public EchoService.EchoServiceClient Client => _host.Services.GetRequiredService<EchoService.EchoServiceClient>();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
    }
}
