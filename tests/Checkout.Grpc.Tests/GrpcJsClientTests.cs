using System.Text.Json;
using Checkout.ServiceDefaults.Postgres;
using Google.Protobuf;

namespace Checkout.Grpc.Tests;

/// <summary>grpc-js (the official Node implementation) as the client of our server.</summary>
public sealed class GrpcJsClientTests(EchoServer server) : IClassFixture<EchoServer>
{
    private const string Service = "/checkout.testing.v1.EchoService/";
    private const int FourMiB = 4 * 1024 * 1024;

    private Task<JsonElement> CallAsync(string method, object? request = null, object? metadata = null, int? deadlineMs = null, string? rawRequest = null) =>
        NodePeers.CallAsync(new { address = server.Target, path = method.StartsWith('/') ? method : Service + method, request, metadata, deadlineMs, rawRequest });

    [Fact]
    public async Task Unary_call_succeeds()
    {
        var result = await CallAsync("Echo", new { message = "hello" });

        AssertCode(StatusCode.OK, result);
        Assert.Equal("hello", result.GetProperty("response").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Server_streaming_call_delivers_every_message_in_order()
    {
        var result = await CallAsync("Count", new { message = "js-count", count = 5 });

        AssertCode(StatusCode.OK, result);
        Assert.Equal(["0", "1", "2", "3", "4"], result.GetProperty("responses").EnumerateArray().Select(reply => reply.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Chosen_status_arrives_with_its_non_ascii_detail_and_trailers()
    {
        const string detail = "Stock réservé: 100% épuisé ✓\r\nnext line";

        var result = await CallAsync("Fail", new { message = detail, statusCode = (int)StatusCode.FailedPrecondition });

        AssertCode(StatusCode.FailedPrecondition, result);
        Assert.Equal(detail, result.GetProperty("details").GetString());
        var trailers = result.GetProperty("trailers");
        Assert.Equal("failed on purpose", trailers.GetProperty("x-failure").GetString());
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, Convert.FromBase64String(trailers.GetProperty("x-failure-bin").GetString()!));
    }

    [Fact]
    public async Task Deadline_cancels_our_handler_and_grpc_js_gets_DEADLINE_EXCEEDED()
    {
        var key = "js-deadline-" + Guid.NewGuid();

        // Long enough for a node process that has just started to connect and send the call on a busy machine.
        var result = await CallAsync("Wait", new { message = key }, deadlineMs: 1500);

        AssertCode(StatusCode.DeadlineExceeded, result);
        Assert.Equal(1, server.Calls.CallsOf(key));
        await server.Calls.CancellationOf(key).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Metadata_travels_both_ways_including_binary()
    {
        byte[] binary = [0, 1, 2, 254, 255];

        var result = await CallAsync("Metadata", new { message = "js-metadata" },
            metadata: new Dictionary<string, object> { ["x-user"] = "alice", ["x-blob-bin"] = new { base64 = Convert.ToBase64String(binary) } });

        AssertCode(StatusCode.OK, result);
        var headers = result.GetProperty("headers");
        var trailers = result.GetProperty("trailers");
        Assert.Equal("alice", headers.GetProperty("x-header-x-user").GetString());
        Assert.Equal(binary, Convert.FromBase64String(headers.GetProperty("x-header-x-blob-bin").GetString()!));
        Assert.Equal("alice", trailers.GetProperty("x-trailer-x-user").GetString());
        Assert.Equal(binary, Convert.FromBase64String(trailers.GetProperty("x-trailer-x-blob-bin").GetString()!));
    }

    [Fact]
    public async Task Message_of_exactly_4_MiB_is_accepted_and_one_byte_more_is_RESOURCE_EXHAUSTED()
    {
        var accepted = await CallAsync("Echo", rawRequest: Convert.ToBase64String(MessageTests.RequestOfSize(FourMiB).ToByteArray()));
        var rejected = await CallAsync("Echo", rawRequest: Convert.ToBase64String(MessageTests.RequestOfSize(FourMiB + 1).ToByteArray()));

        AssertCode(StatusCode.OK, accepted);
        AssertCode(StatusCode.ResourceExhausted, rejected);
    }

    [Fact]
    public async Task Handler_exception_is_UNKNOWN_with_the_generic_message()
    {
        var result = await CallAsync("Throw", new { message = "js-throw" });

        AssertCode(StatusCode.Unknown, result);
        Assert.Equal("Exception was thrown by handler.", result.GetProperty("details").GetString());
        Assert.DoesNotContain(EchoApi.Secret, result.ToString());
    }

    [Fact]
    public async Task Database_outage_is_UNAVAILABLE_with_the_fixed_message()
    {
        var result = await CallAsync("LoseDatabase", new { message = "js-outage-" + Guid.NewGuid() });

        AssertCode(StatusCode.Unavailable, result);
        Assert.Equal(DatabaseOutage.Message, result.GetProperty("details").GetString());
    }

    [Fact]
    public async Task Unknown_method_is_UNIMPLEMENTED()
    {
        var result = await CallAsync(Service + "NoSuchMethod");

        AssertCode(StatusCode.Unimplemented, result);
    }

    private static void AssertCode(StatusCode expected, JsonElement result)
    {
        if (result.GetProperty("code").GetInt32() != (int)expected)
            Assert.Fail($"Expected {expected}; grpc-js saw {result}");
    }
}
