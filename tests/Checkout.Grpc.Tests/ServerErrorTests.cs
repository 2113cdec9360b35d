using Checkout.Grpc.Tests.Echo;
using Checkout.ServiceDefaults.Grpc;
using Checkout.ServiceDefaults.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Checkout.Grpc.Tests;

/// <summary>What a handler lets escape, as a client sees it and as the server logs it (ExceptionStatusInterceptor).</summary>
public sealed class ServerErrorTests(EchoServer server) : IClassFixture<EchoServer>
{
    private static CallOptions Options => new(cancellationToken: TestContext.Current.CancellationToken);

    [Fact]
    public async Task Database_outage_is_UNAVAILABLE_with_the_fixed_message_and_logged_once_as_a_warning_with_the_trace_id()
    {
        var key = NewKey();

        var exception = await Assert.ThrowsAsync<RpcException>(() => server.Client.LoseDatabaseAsync(new EchoRequest { Message = key }, Options).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, exception.StatusCode);
        Assert.Equal("the service's database is unavailable; try again", exception.Status.Detail);
        AssertNothingLeaked(exception, "127.0.0.1", "connect");
        var traceId = server.Calls.TraceIdOf(key);
        Assert.NotNull(traceId);
        Assert.NotEqual(new string('0', 32), traceId);
        var logged = Assert.Single(server.Logs.OfTrace(traceId), entry => entry.Level >= LogLevel.Warning);
        Assert.Equal(LogLevel.Warning, logged.Level);
        Assert.Equal(typeof(ExceptionStatusInterceptor).FullName, logged.Category);
        var outage = Assert.IsAssignableFrom<NpgsqlException>(logged.Exception);
        Assert.True(DatabaseOutage.IsOutage(outage), "The handler's exception is one DatabaseOutage accepts.");
        Assert.Contains("/checkout.testing.v1.EchoService/LoseDatabase", logged.Message);
        Assert.Contains("Unavailable", logged.Message);
    }

    [Theory]
    [InlineData(MethodType.ServerStreaming)]
    [InlineData(MethodType.ClientStreaming)]
    [InlineData(MethodType.DuplexStreaming)]
    public async Task Database_outage_in_a_streaming_call_is_UNAVAILABLE_with_the_fixed_message(MethodType kind)
    {
        var key = NewKey();
        var request = new EchoRequest { Message = key };

        var exception = await Assert.ThrowsAsync<RpcException>(() => kind switch
        {
            MethodType.ServerStreaming => ReadAllAsync(server.Client.LoseDatabaseServerStreaming(request, Options).ResponseStream),
            MethodType.ClientStreaming => SendOneAsync(server.Client.LoseDatabaseClientStreaming(Options), request),
            _ => SendOneAndReadAllAsync(server.Client.LoseDatabaseDuplexStreaming(Options), request),
        });

        Assert.Equal(StatusCode.Unavailable, exception.StatusCode);
        Assert.Equal(DatabaseOutage.Message, exception.Status.Detail);
        var logged = Assert.Single(server.Logs.OfTrace(server.Calls.TraceIdOf(key)!), entry => entry.Level >= LogLevel.Warning);
        Assert.IsAssignableFrom<NpgsqlException>(logged.Exception);

        static async Task ReadAllAsync(IAsyncStreamReader<EchoReply> replies)
        {
            await foreach (var _ in replies.ReadAllAsync(TestContext.Current.CancellationToken))
            {
            }
        }

        static async Task SendOneAsync(AsyncClientStreamingCall<EchoRequest, EchoReply> call, EchoRequest request)
        {
            using (call)
            {
                await call.RequestStream.WriteAsync(request, TestContext.Current.CancellationToken);
                await call.RequestStream.CompleteAsync();
                await call.ResponseAsync;
            }
        }

        static async Task SendOneAndReadAllAsync(AsyncDuplexStreamingCall<EchoRequest, EchoReply> call, EchoRequest request)
        {
            using (call)
            {
                await call.RequestStream.WriteAsync(request, TestContext.Current.CancellationToken);
                await call.RequestStream.CompleteAsync();
                await ReadAllAsync(call.ResponseStream);
            }
        }
    }

    [Fact]
    public async Task Unmapped_exception_is_UNKNOWN_with_the_generic_message_and_no_detail()
    {
        var key = NewKey();

        var exception = await Assert.ThrowsAsync<RpcException>(() => server.Client.ThrowAsync(new EchoRequest { Message = key }, Options).ResponseAsync);

        Assert.Equal(StatusCode.Unknown, exception.StatusCode);
        Assert.Equal("Exception was thrown by handler.", exception.Status.Detail);
        AssertNothingLeaked(exception, EchoApi.Secret, nameof(InvalidOperationException));
        // Grpc.AspNetCore logs it, as an error; the interceptor leaves it alone.
        var logged = Assert.Single(server.Logs.OfTrace(server.Calls.TraceIdOf(key)!), entry => entry.Level >= LogLevel.Warning);
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.IsType<InvalidOperationException>(logged.Exception);
    }

    [Theory]
    [InlineData(StatusCode.FailedPrecondition)]
    [InlineData(StatusCode.Unavailable)]
    [InlineData(StatusCode.Internal)]
    public async Task Handlers_own_RpcException_passes_untouched(StatusCode code)
    {
        // Also the key of the call: Fail's detail is the request's message.
        var detail = $"Stock réservé: 100% épuisé ✓ {NewKey()}";

        var exception = await Assert.ThrowsAsync<RpcException>(() =>
            server.Client.FailAsync(new EchoRequest { Message = detail, StatusCode = (int)code }, Options).ResponseAsync);

        Assert.Equal(code, exception.StatusCode);
        Assert.Equal(detail, exception.Status.Detail);
        Assert.Equal("failed on purpose", exception.Trailers.GetValue("x-failure"));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, exception.Trailers.GetValueBytes("x-failure-bin"));
        Assert.DoesNotContain(server.Logs.OfTrace(server.Calls.TraceIdOf(detail)!), entry => entry.Level >= LogLevel.Warning);
    }

    private static string NewKey() => Guid.NewGuid().ToString("N");

    /// <summary>Neither the status detail nor any trailer carries the exception's text.</summary>
    private static void AssertNothingLeaked(RpcException exception, params string[] secrets)
    {
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, exception.Status.Detail, StringComparison.OrdinalIgnoreCase);
            foreach (var trailer in exception.Trailers)
            {
                var text = trailer.IsBinary ? Convert.ToBase64String(trailer.ValueBytes) : trailer.Value;
                Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
            }
        }
    }
}
