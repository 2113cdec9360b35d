using Checkout.Grpc.Tests.Echo;
using Checkout.ServiceDefaults.Grpc;

namespace Checkout.Grpc.Tests;

public sealed class GrpcJsServerFixture : IAsyncLifetime
{
    private NodeServer? _server;

    public GrpcClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await NodePeers.StartServerAsync();
        Client = GrpcClient.Create(_server.Address);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}

/// <summary>Our client against a grpc-js server (the official Node implementation).</summary>
public sealed class ClientInteropTests(GrpcJsServerFixture peer) : IClassFixture<GrpcJsServerFixture>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Unary_call_succeeds()
    {
        var reply = await peer.Client.UnaryAsync(EchoMethods.Echo, new EchoRequest { Message = "hello" }, new CallOptions(cancellationToken: Cancellation));

        Assert.Equal("hello", reply.Message);
    }

    [Fact]
    public async Task Error_status_arrives_as_one_rpc_exception_with_detail_and_trailers()
    {
        const string detail = "Stock réservé: 100% épuisé ✓";
        var exception = await Assert.ThrowsAsync<RpcException>(() =>
            peer.Client.UnaryAsync(EchoMethods.Fail, new EchoRequest { Message = detail, StatusCode = (int)StatusCode.FailedPrecondition }, new CallOptions(cancellationToken: Cancellation)));

        Assert.Equal(StatusCode.FailedPrecondition, exception.StatusCode);
        Assert.Equal(detail, exception.Status.Detail);
        Assert.Equal("failed on purpose", exception.Trailers.GetValue("x-failure"));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, exception.Trailers.GetValueBytes("x-failure-bin"));
    }

    [Fact]
    public async Task Handler_error_and_unknown_method_surface_their_status()
    {
        var thrown = await Assert.ThrowsAsync<RpcException>(() => peer.Client.UnaryAsync(EchoMethods.Throw, new EchoRequest(), new CallOptions(cancellationToken: Cancellation)));
        var unknown = await Assert.ThrowsAsync<RpcException>(() => peer.Client.UnaryAsync(EchoMethods.Unbound, new EchoRequest(), new CallOptions(cancellationToken: Cancellation)));

        Assert.Equal(StatusCode.Unknown, thrown.StatusCode);
        Assert.Equal(StatusCode.Unimplemented, unknown.StatusCode);
    }

    [Fact]
    public async Task Deadline_ends_the_call_with_deadline_exceeded()
    {
        var options = new CallOptions(deadline: DateTime.UtcNow.AddMilliseconds(300), cancellationToken: Cancellation);

        var exception = await Assert.ThrowsAsync<RpcException>(() => peer.Client.UnaryAsync(EchoMethods.Wait, new EchoRequest(), options));

        Assert.Equal(StatusCode.DeadlineExceeded, exception.StatusCode);
    }

    [Fact]
    public async Task Metadata_travels_both_ways_and_response_headers_and_trailers_are_available()
    {
        byte[] binary = [0, 1, 2, 254, 255];
        var headers = new Metadata().Add("x-user", "alice").Add("x-blob-bin", binary);

        var response = await peer.Client.UnaryCallAsync(EchoMethods.Metadata, new EchoRequest { Message = "md" }, new CallOptions(headers, cancellationToken: Cancellation));

        Assert.Equal("md", response.Message.Message);
        Assert.Equal("alice", response.ResponseHeaders.GetValue("x-header-x-user"));
        Assert.Equal(binary, response.ResponseHeaders.GetValueBytes("x-header-x-blob-bin"));
        Assert.Equal("alice", response.Trailers.GetValue("x-trailer-x-user"));
        Assert.Equal(binary, response.Trailers.GetValueBytes("x-trailer-x-blob-bin"));
    }

    [Fact]
    public async Task Cancelling_a_call_ends_it_with_cancelled()
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        var call = peer.Client.UnaryAsync(EchoMethods.Wait, new EchoRequest(), new CallOptions(cancellationToken: cancellation.Token));
        cancellation.CancelAfter(200);

        var exception = await Assert.ThrowsAsync<RpcException>(() => call);

        Assert.Equal(StatusCode.Cancelled, exception.StatusCode);
    }
}
