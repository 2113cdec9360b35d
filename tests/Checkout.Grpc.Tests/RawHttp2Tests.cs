using System.Net;
using System.Net.Http.Headers;
using Checkout.Grpc.Tests.Echo;
using Checkout.ServiceDefaults.Grpc;
using Google.Protobuf;

namespace Checkout.Grpc.Tests;

/// <summary>Hand-built HTTP/2 requests: what a broken or hostile client can send, and the server staying healthy after it.</summary>
public sealed class RawHttp2Tests(EchoServerFixture server) : IClassFixture<EchoServerFixture>, IDisposable
{
    private const string EchoPath = "/checkout.testing.v1.EchoService/Echo";
    private readonly HttpClient _http = new(GrpcClient.CreateHttpHandler());

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static TheoryData<string, byte[], StatusCode> MalformedBodies => new()
    {
        { "empty body", [], StatusCode.Internal },
        { "truncated frame header", [0, 0, 0], StatusCode.Internal },
        { "length prefix larger than the body", [0, 0, 0, 0, 10, 0x0A, 0x01, 0x41], StatusCode.Internal },
        { "invalid compressed flag", [2, 0, 0, 0, 0], StatusCode.Internal },
        { "two messages in a unary call", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], StatusCode.Internal },
        { "garbage protobuf", [0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF], StatusCode.InvalidArgument },
        { "string field longer than the message", [0, 0, 0, 0, 3, 0x0A, 0x7F, 0x41], StatusCode.InvalidArgument },
        { "compressed flag without a supported grpc-encoding", [1, 0, 0, 0, 0], StatusCode.Unimplemented },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Malformed_request_gets_a_grpc_status_and_the_next_call_succeeds(string description, byte[] body, StatusCode expected)
    {
        using var response = await SendAsync(EchoPath, body);
        var status = await ReadStatusAsync(response);

        Assert.True(expected == status, $"{description}: expected {expected}, got {status}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reply = await GrpcClient.Create(server.Address).UnaryAsync(EchoMethods.Echo, new EchoRequest { Message = "after " + description }, new CallOptions(cancellationToken: Cancellation));
        Assert.Equal("after " + description, reply.Message);
    }

    [Fact]
    public async Task Unsupported_encoding_is_answered_with_the_encodings_the_server_accepts()
    {
        using var response = await SendAsync(EchoPath, [1, 0, 0, 0, 0], request => request.Headers.TryAddWithoutValidation("grpc-encoding", "gzip"));

        Assert.Equal(StatusCode.Unimplemented, await ReadStatusAsync(response));
        Assert.Equal("identity", Assert.Single(response.Headers.GetValues("grpc-accept-encoding")));
    }

    [Fact]
    public async Task Non_grpc_content_type_is_415()
    {
        using var response = await SendAsync(EchoPath, [0, 0, 0, 0, 0], request => request.Content!.Headers.ContentType = new MediaTypeHeaderValue("application/json"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Request_that_is_not_grpc_to_an_unknown_path_is_still_404()
    {
        using var response = await SendAsync("/no/such", [], request => request.Content!.Headers.ContentType = new MediaTypeHeaderValue("application/json"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(response.Headers.Contains("grpc-status"));
    }

    [Fact]
    public async Task Successful_call_sends_status_in_trailers_after_one_framed_message()
    {
        using var response = await SendAsync(EchoPath, Frame(new EchoRequest { Message = "raw" }));
        var bytes = await response.Content.ReadAsByteArrayAsync(Cancellation);

        Assert.Equal("application/grpc", response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Headers.Contains("grpc-status"));
        Assert.Equal("0", Assert.Single(response.TrailingHeaders.GetValues("grpc-status")));
        Assert.Equal(bytes.Length - 5, bytes[4]);
        Assert.Equal("raw", EchoReply.Parser.ParseFrom(bytes.AsSpan(5)).Message);
    }

    [Fact]
    public async Task Server_enforces_grpc_timeout_when_the_client_does_not()
    {
        using var response = await SendAsync("/checkout.testing.v1.EchoService/Wait", Frame(new EchoRequest { Message = "server-deadline" }), request => request.Headers.TryAddWithoutValidation("grpc-timeout", "200m"));

        Assert.Equal(StatusCode.DeadlineExceeded, await ReadStatusAsync(response));
        await server.CancellationObserved("server-deadline").Task.WaitAsync(TimeSpan.FromSeconds(30), Cancellation);
    }

    [Theory]
    [InlineData("99999999H")]
    [InlineData("1200H")]
    [InlineData("99999999S")]
    public async Task A_valid_grpc_timeout_longer_than_any_timer_is_served(string timeout)
    {
        using var response = await SendAsync(EchoPath, Frame(new EchoRequest { Message = "long deadline" }), request => request.Headers.TryAddWithoutValidation("grpc-timeout", timeout));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(StatusCode.OK, await ReadStatusAsync(response));
    }

    /// <summary>One uncompressed length-prefixed message (a short one: the length fits the last prefix byte).</summary>
    private static byte[] Frame(IMessage message) => [0, 0, 0, 0, (byte)message.CalculateSize(), .. message.ToByteArray()];

    private async Task<HttpResponseMessage> SendAsync(string path, byte[] body, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Address, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        configure?.Invoke(request);
        return await _http.SendAsync(request, Cancellation);
    }

    /// <summary>grpc-status from the headers (trailers-only) or, after the body, from the trailers.</summary>
    private static async Task<StatusCode> ReadStatusAsync(HttpResponseMessage response)
    {
        await response.Content.ReadAsByteArrayAsync(Cancellation);
        var values = response.Headers.TryGetValues("grpc-status", out var inHeaders) ? inHeaders : response.TrailingHeaders.GetValues("grpc-status");
        return (StatusCode)int.Parse(Assert.Single(values));
    }

    public void Dispose() => _http.Dispose();
}
