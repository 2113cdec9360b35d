using Checkout.Grpc.Tests.Echo;

namespace Checkout.Grpc.Tests;

/// <summary>Our client (AddGrpcServiceClient with AddServiceDefaults) against a grpc-js server, the official Node implementation.</summary>
public sealed class GrpcJsServerTests(GrpcJsPeer peer) : IClassFixture<GrpcJsPeer>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private EchoService.EchoServiceClient Client => peer.Host.Client;

    [Fact]
    public async Task Unary_call_succeeds()
    {
        var reply = await Client.EchoAsync(new EchoRequest { Message = "hello" }, cancellationToken: Cancellation);

        Assert.Equal("hello", reply.Message);
    }

    [Fact]
    public async Task Server_streaming_call_delivers_every_message_in_order()
    {
        using var call = Client.Count(new EchoRequest { Message = "count", Count = 5 }, cancellationToken: Cancellation);

        var received = new List<string>();
        await foreach (var reply in call.ResponseStream.ReadAllAsync(Cancellation))
            received.Add(reply.Message);

        Assert.Equal(["0", "1", "2", "3", "4"], received);
    }

    [Fact]
    public async Task Error_status_arrives_with_its_detail_and_trailers()
    {
        const string detail = "Stock réservé: 100% épuisé ✓";

        var exception = await Assert.ThrowsAsync<RpcException>(() =>
            Client.FailAsync(new EchoRequest { Message = detail, StatusCode = (int)StatusCode.FailedPrecondition }, cancellationToken: Cancellation).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, exception.StatusCode);
        Assert.Equal(detail, exception.Status.Detail);
        Assert.Equal("failed on purpose", exception.Trailers.GetValue("x-failure"));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, exception.Trailers.GetValueBytes("x-failure-bin"));
    }

    [Fact]
    public async Task Handler_error_is_UNKNOWN_and_a_method_grpc_js_lacks_is_UNIMPLEMENTED()
    {
        var thrown = await Assert.ThrowsAsync<RpcException>(() => Client.ThrowAsync(new EchoRequest(), cancellationToken: Cancellation).ResponseAsync);
        var unbound = await Assert.ThrowsAsync<RpcException>(() => Client.UnboundAsync(new EchoRequest(), cancellationToken: Cancellation).ResponseAsync);

        Assert.Equal(StatusCode.Unknown, thrown.StatusCode);
        Assert.Equal(StatusCode.Unimplemented, unbound.StatusCode);
    }

    [Fact]
    public async Task Deadline_ends_the_call_with_DEADLINE_EXCEEDED_and_reaches_the_server()
    {
        var key = "deadline-" + Guid.NewGuid();

        // Long enough for the first call to connect on a busy machine, so that the server sees the call.
        var exception = await Assert.ThrowsAsync<RpcException>(() => Client.WaitAsync(new EchoRequest { Message = key },
            deadline: DateTime.UtcNow.AddSeconds(1), cancellationToken: Cancellation).ResponseAsync);

        Assert.Equal(StatusCode.DeadlineExceeded, exception.StatusCode);
        await peer.Server.ArrivalOf(key).WaitAsync(TimeSpan.FromSeconds(10), Cancellation);
        await peer.Server.CancellationOf(key).WaitAsync(TimeSpan.FromSeconds(10), Cancellation);
    }

    [Fact]
    public async Task Cancelling_a_call_ends_it_with_CANCELLED_and_reaches_the_server()
    {
        var key = "cancel-" + Guid.NewGuid();
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        var call = Client.WaitAsync(new EchoRequest { Message = key }, cancellationToken: cancellation.Token);
        await peer.Server.ArrivalOf(key).WaitAsync(TimeSpan.FromSeconds(10), Cancellation);
        await cancellation.CancelAsync();

        var exception = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        Assert.Equal(StatusCode.Cancelled, exception.StatusCode);
        await peer.Server.CancellationOf(key).WaitAsync(TimeSpan.FromSeconds(10), Cancellation);
    }

    [Fact]
    public async Task Metadata_travels_both_ways_including_binary()
    {
        byte[] binary = [0, 1, 2, 254, 255];
        var headers = new Metadata { { "x-user", "alice" }, { "x-blob-bin", binary } };

        using var call = Client.MetadataAsync(new EchoRequest { Message = "md" }, headers, cancellationToken: Cancellation);
        var reply = await call.ResponseAsync;
        var responseHeaders = await call.ResponseHeadersAsync;
        var trailers = call.GetTrailers();

        Assert.Equal("md", reply.Message);
        Assert.Equal("alice", responseHeaders.GetValue("x-header-x-user"));
        Assert.Equal(binary, responseHeaders.GetValueBytes("x-header-x-blob-bin"));
        Assert.Equal("alice", trailers.GetValue("x-trailer-x-user"));
        Assert.Equal(binary, trailers.GetValueBytes("x-trailer-x-blob-bin"));
    }
}
