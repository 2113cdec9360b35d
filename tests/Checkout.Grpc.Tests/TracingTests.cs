using System.Diagnostics;
using Checkout.Grpc.Tests.Echo;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Checkout.Grpc.Tests;

/// <summary>The spans AddServiceDefaults exports for one call between two of our hosts.</summary>
public sealed class TracingTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Client_and_server_spans_are_in_one_trace_with_one_client_span_from_the_GrpcNetClient_instrumentation()
    {
        var serverSpans = new SpanCapture();
        var clientSpans = new SpanCapture();
        await using var server = await EchoServer.StartAsync(builder => builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(serverSpans)));
        await using var client = new EchoClientHost([server.Address], builder => builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(clientSpans)));
        var key = "traced-" + Guid.NewGuid();

        await client.Client.EchoAsync(new EchoRequest { Message = key }, cancellationToken: Cancellation);

        var traceId = server.Calls.TraceIdOf(key)!;
        var serverSpan = await Eventually.UntilAsync(() => Task.FromResult(serverSpans.OfTrace(traceId).Where(s => s.Kind == ActivityKind.Server).ToList()),
            spans => spans.Count > 0, spans => $"no server span in trace {traceId}", TimeSpan.FromSeconds(10));
        var clientSide = await Eventually.UntilAsync(() => Task.FromResult(clientSpans.OfTrace(traceId)),
            spans => spans.Any(s => s.Kind == ActivityKind.Client), _ => $"no client span in trace {traceId}", TimeSpan.FromSeconds(10));

        var clientSpan = Assert.Single(clientSide, s => s.Kind == ActivityKind.Client);
        Assert.Equal(ActivityTraceId.CreateFromString(traceId), clientSpan.TraceId);
        Assert.Equal(clientSpan.SpanId, Assert.Single(serverSpan).ParentSpanId);
        Assert.Equal("OpenTelemetry.Instrumentation.GrpcNetClient", clientSpan.Source.Name);
        Assert.Equal("checkout.testing.v1.EchoService/Echo", clientSpan.DisplayName);
        // OpenTelemetry's RPC conventions, as this instrumentation writes them.
        Assert.Equal("grpc", clientSpan.GetTagItem("rpc.system.name"));
        Assert.Equal("checkout.testing.v1.EchoService/Echo", clientSpan.GetTagItem("rpc.method"));
        Assert.Equal("OK", clientSpan.GetTagItem("rpc.response.status_code"));
        // The logical address (the service's endpoint named grpc), not the one discovery picked.
        Assert.Equal($"_grpc.{EchoClientHost.ServiceName}", clientSpan.GetTagItem("server.address"));
        // No HTTP client span for the call's HTTP request, on either side.
        Assert.DoesNotContain(clientSpans.OfTrace(traceId).Concat(serverSpans.OfTrace(traceId)), s => s.Source.Name == "System.Net.Http");
    }
}
