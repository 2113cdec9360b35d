using System.Net;
using System.Net.Http.Headers;
using Checkout.Grpc.Tests.Echo;
using Grpc.Net.Client;

namespace Checkout.Grpc.Tests;

/// <summary>
/// What a broken or hostile client can send: each gets a gRPC status from Grpc.AspNetCore, not a dropped connection,
/// and the next call on the same HTTP/2 connection is served.
/// </summary>
public sealed class MalformedCallTests(EchoServer server) : IClassFixture<EchoServer>
{
    private const string Service = "/checkout.testing.v1.EchoService/";

    public static TheoryData<string, string, byte[], StatusCode> BadCalls => new()
    {
        // The framing is fine; the protobuf inside is not.
        { "a string field longer than the message", Service + "Echo", [0, 0, 0, 0, 3, 0x0A, 0x7F, 0x41], StatusCode.Unknown },
        { "an invalid protobuf tag", Service + "Echo", [0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF], StatusCode.Unknown },
        // The gRPC framing is broken.
        { "a length prefix larger than the body", Service + "Echo", [0, 0, 0, 0, 10, 0x0A, 0x01, 0x41], StatusCode.Internal },
        { "a truncated frame header", Service + "Echo", [0, 0, 0], StatusCode.Internal },
        { "two messages in a unary call", Service + "Echo", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], StatusCode.Internal },
        { "a compressed message without grpc-encoding", Service + "Echo", [1, 0, 0, 0, 0], StatusCode.Internal },
        // Nothing serves the path.
        { "an unknown method", Service + "NoSuchMethod", [0, 0, 0, 0, 0], StatusCode.Unimplemented },
        { "an unknown service", "/checkout.testing.v1.NoSuchService/Echo", [0, 0, 0, 0, 0], StatusCode.Unimplemented },
        { "a method the service does not implement", Service + "Unbound", [0, 0, 0, 0, 0], StatusCode.Unimplemented },
    };

    [Theory]
    [MemberData(nameof(BadCalls))]
    public async Task Bad_call_gets_a_grpc_status_and_the_next_call_on_the_connection_succeeds(string description, string path, byte[] body, StatusCode expected)
    {
        var cancellation = TestContext.Current.CancellationToken;
        // One HttpClient, so one HTTP/2 connection, for the raw request and the calls around it.
        using var http = new HttpClient(new SocketsHttpHandler());
        using var channel = GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { HttpClient = http });
        var client = new EchoService.EchoServiceClient(channel);
        var before = await client.EchoAsync(new EchoRequest { Message = "before " + description }, cancellationToken: cancellation);

        var (httpStatus, grpcStatus) = await PostAsync(http, path, body, cancellation);

        Assert.Equal(HttpStatusCode.OK, httpStatus);
        Assert.True(expected == grpcStatus, $"{description}: expected {expected}, got {grpcStatus}");
        var after = await client.EchoAsync(new EchoRequest { Message = "after " + description }, cancellationToken: cancellation);
        Assert.Equal("after " + description, after.Message);
        Assert.Equal(before.ConnectionId, after.ConnectionId);
    }

    /// <summary>POSTs <paramref name="body"/> as a gRPC request's body and returns the HTTP status and the grpc-status.</summary>
    private async Task<(HttpStatusCode, StatusCode?)> PostAsync(HttpClient http, string path, byte[] body, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Address, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        using var response = await http.SendAsync(request, cancellation);
        await response.Content.ReadAsByteArrayAsync(cancellation);
        // In the trailers, or in the headers of a trailers-only response.
        var status = response.TrailingHeaders.TryGetValues("grpc-status", out var values) || response.Headers.TryGetValues("grpc-status", out values)
            ? (StatusCode?)int.Parse(values.Single(), System.Globalization.CultureInfo.InvariantCulture)
            : null;
        return (response.StatusCode, status);
    }
}
