using System.Text.Json;
using Checkout.Grpc.Tests.Echo;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Checkout.Grpc.Tests;

/// <summary>grpc-js (the official Node implementation) as the client of our server.</summary>
public sealed class ServerInteropTests(EchoServerFixture server) : IClassFixture<EchoServerFixture>
{
    private const string Echo = "/checkout.testing.v1.EchoService/";
    private const int MaxReceiveMessageSize = 4 * 1024 * 1024;

    private Task<JsonElement> CallAsync(string method, object? request = null, object? metadata = null, int? deadlineMs = null, string? rawRequest = null) =>
        NodePeers.CallAsync(new { address = server.Target, path = method.StartsWith('/') ? method : Echo + method, request, metadata, deadlineMs, rawRequest });

    [Fact]
    public async Task Unary_call_succeeds()
    {
        var result = await CallAsync("Echo", new { message = "hello" });

        AssertCode(0, result);
        Assert.Equal("hello", result.GetProperty("response").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Server_streaming_call_delivers_every_message_in_order()
    {
        var result = await CallAsync("Count", new { count = 3 });

        AssertCode(0, result);
        Assert.Equal(["0", "1", "2"], result.GetProperty("responses").EnumerateArray().Select(r => r.GetProperty("message").GetString()));
    }

    [Theory]
    [InlineData("/checkout.testing.v1.NoSuchService/Echo")]
    [InlineData("/checkout.testing.v1.EchoService/NoSuchMethod")]
    [InlineData("/checkout.testing.v1.EchoService/Unbound")]
    public async Task Unknown_or_unbound_method_is_unimplemented(string path)
    {
        var result = await CallAsync(path);

        AssertCode(12, result);
    }

    [Fact]
    public async Task Handler_exception_is_unknown_with_a_generic_message_and_is_logged()
    {
        var result = await CallAsync("Throw", new { message = "call-throw" });

        AssertCode(2, result);
        var details = result.GetProperty("details").GetString()!;
        Assert.Equal("Exception was thrown by handler.", details);
        var logged = Assert.Single(server.Logs.Entries, e => e.Exception?.Message.Contains("call-throw") == true);
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.Contains("/checkout.testing.v1.EchoService/Throw", logged.Message);
        // The W3C trace id when a listener made the request's activity, else Kestrel's request id ("<connection>:<n>").
        Assert.Matches(@"Trace ([0-9a-f]{32}|[0-9A-Z]{13}:[0-9A-F]{8})\.$", logged.Message);
    }

    [Fact]
    public async Task Chosen_status_arrives_with_percent_encoded_non_ascii_detail_and_trailers()
    {
        const string detail = "Stock réservé: 100% épuisé ✓\r\nnext line";
        var result = await CallAsync("Fail", new { message = detail, statusCode = 9 });

        AssertCode(9, result);
        Assert.Equal(detail, result.GetProperty("details").GetString());
        var trailers = result.GetProperty("trailers");
        Assert.Equal("failed on purpose", trailers.GetProperty("x-failure").GetString());
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, Convert.FromBase64String(trailers.GetProperty("x-failure-bin").GetString()!));
    }

    [Fact]
    public async Task Malformed_protobuf_is_invalid_argument()
    {
        // Field 1 (string) claims 127 bytes, but the message ends after one.
        var result = await CallAsync("Echo", rawRequest: Convert.ToBase64String([0x0A, 0x7F, 0x41]));

        AssertCode(3, result);
    }

    [Fact]
    public async Task Deadline_cancels_the_handler_and_ends_the_call_with_deadline_exceeded()
    {
        var result = await CallAsync("Wait", new { message = "grpc-js-deadline" }, deadlineMs: 300);

        AssertCode(4, result);
        await server.CancellationObserved("grpc-js-deadline").Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Metadata_travels_both_ways_including_binary()
    {
        byte[] binary = [0, 1, 2, 254, 255];
        var result = await CallAsync("Metadata", new { message = "md" },
            metadata: new Dictionary<string, object> { ["x-user"] = "alice", ["x-blob-bin"] = new { base64 = Convert.ToBase64String(binary) } });

        AssertCode(0, result);
        var headers = result.GetProperty("headers");
        var trailers = result.GetProperty("trailers");
        Assert.Equal("alice", headers.GetProperty("x-header-x-user").GetString());
        Assert.Equal(binary, Convert.FromBase64String(headers.GetProperty("x-header-x-blob-bin").GetString()!));
        Assert.Equal("alice", trailers.GetProperty("x-trailer-x-user").GetString());
        Assert.Equal(binary, Convert.FromBase64String(trailers.GetProperty("x-trailer-x-blob-bin").GetString()!));
    }

    [Fact]
    public async Task Message_of_exactly_the_size_limit_is_accepted_and_one_byte_more_is_resource_exhausted()
    {
        var atLimit = RequestOfSize(MaxReceiveMessageSize);
        var overLimit = RequestOfSize(MaxReceiveMessageSize + 1);

        var accepted = await CallAsync("Echo", rawRequest: Convert.ToBase64String(atLimit.ToByteArray()));
        var rejected = await CallAsync("Echo", rawRequest: Convert.ToBase64String(overLimit.ToByteArray()));

        AssertCode(0, accepted);
        AssertCode(8, rejected);
    }

    [Fact]
    public async Task Health_check_is_serving_then_not_serving_when_a_check_fails()
    {
        const string check = "/grpc.health.v1.Health/Check";
        var overall = await CallAsync(check, new { service = "" });
        var inventory = await CallAsync(check, new { service = "checkout.inventory.v1.Inventory" });
        var unknown = await CallAsync(check, new { service = "no.such.Service" });
        server.DatabaseHealthy = false;
        try
        {
            var failing = await CallAsync(check, new { service = "" });
            var failingInventory = await CallAsync(check, new { service = "checkout.inventory.v1.Inventory" });

            Assert.Equal("NOT_SERVING", failing.GetProperty("response").GetProperty("status").GetString());
            Assert.Equal("NOT_SERVING", failingInventory.GetProperty("response").GetProperty("status").GetString());
        }
        finally
        {
            server.DatabaseHealthy = true;
        }
        Assert.Equal("SERVING", overall.GetProperty("response").GetProperty("status").GetString());
        Assert.Equal("SERVING", inventory.GetProperty("response").GetProperty("status").GetString());
        AssertCode(5, unknown);
    }

    private static void AssertCode(int expected, JsonElement result)
    {
        if (result.GetProperty("code").GetInt32() != expected) Assert.Fail($"Expected status code {expected}; grpc-js saw {result}");
    }

    /// <summary>An EchoRequest whose serialized size is exactly <paramref name="size"/> bytes.</summary>
    internal static EchoRequest RequestOfSize(int size)
    {
        // Tag (1 byte) + length varint + payload: find the payload length whose total is size.
        var payloadLength = size - 1 - CodedOutputStream.ComputeLengthSize(size);
        while (1 + CodedOutputStream.ComputeLengthSize(payloadLength) + payloadLength < size) payloadLength++;
        while (1 + CodedOutputStream.ComputeLengthSize(payloadLength) + payloadLength > size) payloadLength--;
        var request = new EchoRequest { Payload = ByteString.CopyFrom(new byte[payloadLength]) };
        Assert.Equal(size, request.CalculateSize());
        return request;
    }
}
