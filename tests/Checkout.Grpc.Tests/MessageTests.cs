using Checkout.Grpc.Tests.Echo;
using Google.Protobuf;
using Grpc.AspNetCore.Server;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Checkout.Grpc.Tests;

/// <summary>Messages on our server: the 4 MiB request limit, gzip both ways, and server streaming.</summary>
public sealed class MessageTests(EchoServer server) : IClassFixture<EchoServer>
{
    private const int FourMiB = 4 * 1024 * 1024;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Request_of_exactly_4_MiB_is_accepted_and_one_byte_more_is_RESOURCE_EXHAUSTED()
    {
        var atLimit = RequestOfSize(FourMiB);
        var overLimit = RequestOfSize(FourMiB + 1);

        var accepted = await server.Client.EchoAsync(atLimit, cancellationToken: Cancellation);
        var rejected = await Assert.ThrowsAsync<RpcException>(() => server.Client.EchoAsync(overLimit, cancellationToken: Cancellation).ResponseAsync);

        Assert.Equal(atLimit.Payload.Length, accepted.PayloadLength);
        Assert.Equal(StatusCode.ResourceExhausted, rejected.StatusCode);
        var next = await server.Client.EchoAsync(new EchoRequest { Message = "after the rejected one" }, cancellationToken: Cancellation);
        Assert.Equal("after the rejected one", next.Message);
    }

    [Fact]
    public async Task Request_compressed_with_gzip_by_the_client_is_served()
    {
        var request = new EchoRequest { Message = "gzip", Payload = ByteString.CopyFrom(new byte[256 * 1024]) };
        // Grpc.Net.Client compresses the request with the algorithm named in this metadata entry (its default providers include gzip).
        var headers = new Metadata { { "grpc-internal-encoding-request", "gzip" } };

        var reply = await server.Client.EchoAsync(request, headers, cancellationToken: Cancellation);

        Assert.Equal("gzip", reply.GrpcEncoding);
        Assert.Equal(256 * 1024, reply.PayloadLength);
    }

    [Fact]
    public async Task Response_compressed_with_gzip_when_the_server_is_configured_for_it_arrives()
    {
        await using var compressing = await EchoServer.StartAsync(builder =>
            builder.Services.Configure<GrpcServiceOptions>(options => options.ResponseCompressionAlgorithm = "gzip"));
        var recorder = new ResponseHeaderRecorder("grpc-encoding") { InnerHandler = new SocketsHttpHandler() };
        using var channel = GrpcChannel.ForAddress(compressing.Address, new GrpcChannelOptions { HttpHandler = recorder });
        var message = string.Concat(Enumerable.Repeat("compressible ", 1000));

        var reply = await new EchoService.EchoServiceClient(channel).EchoAsync(new EchoRequest { Message = message }, cancellationToken: Cancellation);

        Assert.Equal(message, reply.Message);
        Assert.Equal(["gzip"], recorder.Values);
    }

    [Fact]
    public async Task Server_streaming_delivers_every_message_in_order()
    {
        using var call = server.Client.Count(new EchoRequest { Message = "count-" + Guid.NewGuid(), Count = 200 }, cancellationToken: Cancellation);

        var received = new List<string>();
        await foreach (var reply in call.ResponseStream.ReadAllAsync(Cancellation))
            received.Add(reply.Message);

        Assert.Equal(Enumerable.Range(0, 200).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), received);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    /// <summary>An EchoRequest whose serialized size is exactly <paramref name="size"/> bytes.</summary>
    internal static EchoRequest RequestOfSize(int size)
    {
        // Tag (1 byte) + length varint + payload: find the payload length whose total is size.
        var payloadLength = size - 1 - CodedOutputStream.ComputeLengthSize(size);
        while (1 + CodedOutputStream.ComputeLengthSize(payloadLength) + payloadLength < size)
            payloadLength++;
        while (1 + CodedOutputStream.ComputeLengthSize(payloadLength) + payloadLength > size)
            payloadLength--;
        var request = new EchoRequest { Payload = ByteString.CopyFrom(new byte[payloadLength]) };
        Assert.Equal(size, request.CalculateSize());
        return request;
    }
}
