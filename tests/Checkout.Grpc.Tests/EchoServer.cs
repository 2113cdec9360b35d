using System.Net;
using Checkout.Grpc.Tests.Echo;
using Checkout.ServiceDefaults.Correlation;
using Checkout.ServiceDefaults.Grpc;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Checkout.Grpc.Tests;

/// <summary>
/// The echo service served the way every Checkout service is (AddServiceDefaults, AddGrpcServiceDefaults,
/// UseCorrelationId, MapGrpcService, MapGrpcHealthChecksService) on a free 127.0.0.1 port over h2c, with a
/// "database" health check the tests can fail. A class fixture as it is; <see cref="StartAsync"/> starts one configured
/// further for a single test.
/// </summary>
public sealed class EchoServer : IAsyncLifetime
{
    private readonly Action<WebApplicationBuilder>? _configure;
    private WebApplication? _app;
    private GrpcChannel? _channel;
    private volatile bool _databaseHealthy = true;

    public EchoServer()
    {
    }

    private EchoServer(Action<WebApplicationBuilder>? configure) => _configure = configure;

    public Uri Address { get; private set; } = null!;

    /// <summary>host:port, as grpc-js takes it.</summary>
    public string Target => $"{Address.Host}:{Address.Port}";

    public EchoCallLog Calls { get; } = new();

    public CapturedLogs Logs { get; } = new();

    /// <summary>What the "database" health check reports.</summary>
    public bool DatabaseHealthy
    {
        get => _databaseHealthy;
        set => _databaseHealthy = value;
    }

    /// <summary>A channel to this server (one HTTP/2 connection), opened on first use and closed with the server.</summary>
    public GrpcChannel Channel => _channel ??= GrpcChannel.ForAddress(Address);

    public EchoService.EchoServiceClient Client => new(Channel);

    public static async Task<EchoServer> StartAsync(Action<WebApplicationBuilder> configure)
    {
        var server = new EchoServer(configure);
        await server.InitializeAsync();
        return server;
    }

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders().AddProvider(Logs).AddProvider(new TestOutputLoggerProvider());
        // As the services' appsettings.json: no line per request.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.AddServiceDefaults();
        builder.AddGrpcServiceDefaults();
        builder.Services.AddSingleton(Calls);
        builder.Services.AddHealthChecks().AddCheck("database", () => DatabaseHealthy ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("down on purpose"));
        _configure?.Invoke(builder);

        var app = builder.Build();
        app.UseCorrelationId();
        app.MapGrpcService<EchoApi>();
        app.MapGrpcHealthChecksService();
        app.MapDefaultEndpoints();
        Address = await app.StartOnFreePortAsync(TestContext.Current.CancellationToken);
        _app = app;
    }

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
    }
}
