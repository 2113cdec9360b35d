using System.Collections.Concurrent;
using System.Net;
using Checkout.Grpc.Tests.Echo;
using Checkout.ServiceDefaults.Grpc;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Checkout.Grpc.Tests;

/// <summary>Our gRPC server with the echo service and the health service, on a free h2c port.</summary>
public sealed class EchoServerFixture : IAsyncLifetime
{
    public static readonly ServiceDescriptor EchoService = EchoReflection.Descriptor.FindService("checkout.testing.v1.EchoService");

    private WebApplication? _app;

    public Uri Address { get; private set; } = null!;

    /// <summary>host:port, as grpc-js wants it.</summary>
    public string Target => $"{Address.Host}:{Address.Port}";

    public CapturingLoggerProvider Logs { get; } = new();

    /// <summary>Wait calls that saw their CancellationToken fire, by request message.</summary>
    public ConcurrentDictionary<string, TaskCompletionSource> CancellationsObserved { get; } = new();

    /// <summary>The traceparent header values each Echo call received, by request message.</summary>
    public ConcurrentDictionary<string, string[]> TraceParents { get; } = new();

    /// <summary>How many times Flaky and Wait were called, by request message.</summary>
    public ConcurrentDictionary<string, int> Attempts { get; } = new();

    /// <summary>The grpc-timeout header of each Flaky attempt, by request message.</summary>
    public ConcurrentDictionary<string, ConcurrentQueue<string>> TimeoutsSeen { get; } = new();

    /// <summary>What the "inventory-database" health check reports.</summary>
    public volatile bool DatabaseHealthy = true;

    public TaskCompletionSource CancellationObserved(string key) => CancellationsObserved.GetOrAdd(key, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders().AddProvider(Logs).SetMinimumLevel(LogLevel.Information);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenGrpc(new IPEndPoint(IPAddress.Loopback, 0)));
        builder.Services.AddGrpc();
        builder.Services.AddHealthChecks()
            .AddCheck("inventory-database", () => DatabaseHealthy ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("down"), tags: ["checkout.inventory.v1.Inventory"]);
        _app = builder.Build();
        _app.MapGrpcHealthChecks();
        _app.MapGrpcService(EchoService, service => service
            .MapUnary<EchoRequest, EchoReply>("Echo", (request, context) =>
            {
                TraceParents[request.Message] = context.GetHttpContext().Request.Headers.TraceParent.ToArray()!;
                return Task.FromResult(new EchoReply { Message = request.Message, PayloadLength = request.Payload.Length });
            })
            .MapUnary<EchoRequest, EchoReply>("Fail", (request, context) =>
            {
                var trailers = new Metadata().Add("x-failure", "failed on purpose").Add("x-failure-bin", [0, 1, 2, 255]);
                throw new RpcException(new Status((StatusCode)request.StatusCode, request.Message), trailers);
            })
            .MapUnary<EchoRequest, EchoReply>("Throw", (request, context) =>
                throw new InvalidOperationException("secret internal detail at /srv/db " + request.Message))
            .MapUnary<EchoRequest, EchoReply>("Flaky", (request, context) =>
            {
                var attempt = Attempts.AddOrUpdate(request.Message, 1, (_, n) => n + 1);
                TimeoutsSeen.GetOrAdd(request.Message, _ => new()).Enqueue(context.GetHttpContext().Request.Headers.GrpcTimeout.ToString());
                if (attempt <= request.Count) throw new RpcException(new Status((StatusCode)request.StatusCode, $"attempt {attempt} fails"));
                return Task.FromResult(new EchoReply { Message = request.Message });
            })
            .MapUnary<EchoRequest, EchoReply>("Wait", async (request, context) =>
            {
                Attempts.AddOrUpdate(request.Message, 1, (_, n) => n + 1);
                try
                {
                    await Task.Delay(Timeout.Infinite, context.CancellationToken);
                }
                catch (OperationCanceledException)
                {
                    CancellationObserved(request.Message).TrySetResult();
                    throw;
                }
                return new EchoReply();
            })
            .MapUnary<EchoRequest, EchoReply>("Metadata", async (request, context) =>
            {
                var headers = new Metadata();
                foreach (var entry in context.RequestHeaders)
                {
                    if (!entry.Key.StartsWith("x-", StringComparison.Ordinal)) continue;
                    if (entry.IsBinary)
                    {
                        headers.Add("x-header-" + entry.Key, entry.ValueBytes);
                        context.ResponseTrailers.Add("x-trailer-" + entry.Key, entry.ValueBytes);
                    }
                    else
                    {
                        headers.Add("x-header-" + entry.Key, entry.Value);
                        context.ResponseTrailers.Add("x-trailer-" + entry.Key, entry.Value);
                    }
                }
                await context.WriteResponseHeadersAsync(headers);
                return new EchoReply { Message = request.Message };
            })
            .MapServerStreaming<EchoRequest, EchoReply>("Count", async (request, stream, context) =>
            {
                for (var i = 0; i < request.Count; i++) await stream.WriteAsync(new EchoReply { Message = i.ToString() });
            }));
        Address = await _app.StartOnFreePortAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}

public sealed record LogEntry(string Category, LogLevel Level, string Message, Exception? Exception);

public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, Entries);

    public void Dispose() { }

    private sealed class CapturingLogger(string category, ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue(new LogEntry(category, logLevel, formatter(state, exception), exception));
    }
}
