using System.Collections.Concurrent;
using System.Diagnostics;
using Checkout.Grpc.Tests.Echo;
using Checkout.ServiceDefaults.Grpc;
using Google.Protobuf;

namespace Checkout.Grpc.Tests;

/// <summary>Our client against our server, and the spans and trace context they produce.</summary>
public sealed class ClientServerTests : IClassFixture<EchoServerFixture>, IDisposable
{
    private readonly EchoServerFixture _server;
    private readonly GrpcClient _client;
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<Activity> _spans = new();

    public ClientServerTests(EchoServerFixture server)
    {
        _server = server;
        _client = GrpcClient.Create(server.Address);
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is GrpcTelemetry.ActivitySourceName or "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    private static CallOptions Options => new(cancellationToken: TestContext.Current.CancellationToken);

    [Fact]
    public async Task Trailers_only_error_carries_status_detail_and_trailers()
    {
        var exception = await Assert.ThrowsAsync<RpcException>(() =>
            _client.UnaryAsync(EchoMethods.Fail, new EchoRequest { Message = "plus de stock – 0%", StatusCode = (int)StatusCode.ResourceExhausted }, Options));

        Assert.Equal(StatusCode.ResourceExhausted, exception.StatusCode);
        Assert.Equal("plus de stock – 0%", exception.Status.Detail);
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, exception.Trailers.GetValueBytes("x-failure-bin"));
    }

    [Fact]
    public async Task Request_over_the_server_limit_is_resource_exhausted()
    {
        var request = ServerInteropTests.RequestOfSize(4 * 1024 * 1024 + 1);

        var exception = await Assert.ThrowsAsync<RpcException>(() => _client.UnaryAsync(EchoMethods.Echo, request, Options));

        Assert.Equal(StatusCode.ResourceExhausted, exception.StatusCode);
    }

    [Fact]
    public async Task Deadline_is_deadline_exceeded_on_the_client_and_cancels_the_handler()
    {
        var options = new CallOptions(deadline: DateTime.UtcNow.AddMilliseconds(300), cancellationToken: TestContext.Current.CancellationToken);

        var exception = await Assert.ThrowsAsync<RpcException>(() => _client.UnaryAsync(EchoMethods.Wait, new EchoRequest { Message = "client-deadline" }, options));

        Assert.Equal(StatusCode.DeadlineExceeded, exception.StatusCode);
        await _server.CancellationObserved("client-deadline").Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task No_deadline_and_a_deadline_centuries_away_both_make_the_call()
    {
        foreach (var deadline in new[] { DateTime.MaxValue, DateTime.UtcNow.AddYears(200) })
        {
            var reply = await _client.UnaryAsync(EchoMethods.Echo, new EchoRequest { Message = "far" },
                new CallOptions(deadline: deadline, cancellationToken: TestContext.Current.CancellationToken));
            Assert.Equal("far", reply.Message);
        }
    }

    [Fact]
    public async Task Metadata_round_trips_through_our_client_and_server()
    {
        var response = await _client.UnaryCallAsync(EchoMethods.Metadata, new EchoRequest(),
            new CallOptions(new Metadata().Add("x-tenant", "eu").Add("x-key-bin", [9, 8, 7]), cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal("eu", response.ResponseHeaders.GetValue("x-header-x-tenant"));
        Assert.Equal(new byte[] { 9, 8, 7 }, response.Trailers.GetValueBytes("x-trailer-x-key-bin"));
    }

    [Fact]
    public async Task Client_span_is_the_parent_of_the_call_and_the_server_span_joins_its_trace()
    {
        var message = "trace-" + Guid.NewGuid();
        await _client.UnaryAsync(EchoMethods.Echo, new EchoRequest { Message = message, Payload = ByteString.CopyFromUtf8("x") }, Options);

        var client = Assert.Single(_spans, s => s.Kind == ActivityKind.Client && s.Source.Name == GrpcTelemetry.ActivitySourceName && s.TraceId == SpanOf(message));
        var server = await PollAsync(() => _spans.SingleOrDefault(s => s.Kind == ActivityKind.Server && s.TraceId == client.TraceId));
        var http = Assert.Single(_spans, s => s.Source.Name == "System.Net.Http" && s.TraceId == client.TraceId);
        var traceParent = Assert.Single(_server.TraceParents[message]);

        Assert.Equal("checkout.testing.v1.EchoService/Echo", client.DisplayName);
        Assert.Equal(client.SpanId, http.ParentSpanId);
        Assert.Equal($"00-{client.TraceId}-{http.SpanId}-01", traceParent);
        Assert.Equal("checkout.testing.v1.EchoService/Echo", server.DisplayName);
        foreach (var span in new[] { client, server })
        {
            Assert.Equal("grpc", span.GetTagItem("rpc.system"));
            Assert.Equal("checkout.testing.v1.EchoService", span.GetTagItem("rpc.service"));
            Assert.Equal("Echo", span.GetTagItem("rpc.method"));
            Assert.Equal(0, span.GetTagItem("rpc.grpc.status_code"));
            Assert.Equal(_server.Address.Port, span.GetTagItem("server.port"));
        }

        ActivityTraceId SpanOf(string m) => _server.TraceParents.TryGetValue(m, out var values) ? ActivityTraceId.CreateFromString(values[0].AsSpan(3, 32)) : default;
    }

    [Fact]
    public async Task Failed_call_marks_both_spans_with_its_status()
    {
        await Assert.ThrowsAsync<RpcException>(() => _client.UnaryAsync(EchoMethods.Throw, new EchoRequest(), Options));

        var client = Assert.Single(_spans, s => s.Kind == ActivityKind.Client && s.Source.Name == GrpcTelemetry.ActivitySourceName
            && s.DisplayName.EndsWith("/Throw") && Equals(s.GetTagItem("server.port"), _server.Address.Port));
        var server = await PollAsync(() => _spans.SingleOrDefault(s => s.Kind == ActivityKind.Server && s.TraceId == client.TraceId));

        Assert.Equal((int)StatusCode.Unknown, client.GetTagItem("rpc.grpc.status_code"));
        Assert.Equal((int)StatusCode.Unknown, server.GetTagItem("rpc.grpc.status_code"));
        Assert.Equal(ActivityStatusCode.Error, server.Status);
    }

    /// <summary>The server span stops after the response is sent, so it may be recorded just after the client returns.</summary>
    private static async Task<T> PollAsync<T>(Func<T?> probe) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (probe() is { } found) return found;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The span was not recorded within 30 s.");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    public void Dispose() => _listener.Dispose();
}
