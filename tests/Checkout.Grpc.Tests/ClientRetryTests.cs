using System.Diagnostics;
using Checkout.Grpc.Tests.Echo;

namespace Checkout.Grpc.Tests;

/// <summary>
/// AddGrpcServiceClient in a host with AddServiceDefaults (GrpcResilience): UNAVAILABLE before any response is retried,
/// on the next discovered endpoint; nothing else is; the deadline bounds it all; a circuit breaker stops calling a
/// service that keeps failing.
/// </summary>
public sealed class ClientRetryTests(EchoServer server) : IClassFixture<EchoServer>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static string NewKey() => Guid.NewGuid().ToString("N");

    /// <summary>The retries the client's pipeline made, as Microsoft.Extensions.Resilience logs them ("OnRetry" events).</summary>
    private static IEnumerable<CapturedLogs.Entry> Retries(EchoClientHost host) =>
        host.Logs.Entries.Where(entry => entry.Category == "Polly" && entry.Message.Contains("EventName: 'OnRetry'", StringComparison.Ordinal));

    [Fact]
    public async Task Unavailable_before_any_response_is_retried_until_the_call_succeeds()
    {
        await using var host = new EchoClientHost(server.Address);
        var key = NewKey();

        var reply = await host.Client.FlakyAsync(new EchoRequest { Message = key, StatusCode = (int)StatusCode.Unavailable, Count = 2 }, cancellationToken: Cancellation);

        Assert.Equal(key, reply.Message);
        Assert.Equal(3, server.Calls.CallsOf(key));
    }

    [Fact]
    public async Task Each_retry_tells_the_server_only_the_time_left()
    {
        await using var host = new EchoClientHost(server.Address);
        var key = NewKey();

        // Each failing call takes 500 ms, so the third attempt starts at least a second after the first.
        await host.Client.FlakyAsync(new EchoRequest { Message = key, StatusCode = (int)StatusCode.Unavailable, Count = 2, DelayMs = 500 },
            deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: Cancellation);

        // Every attempt must give the server the same deadline (arrival + grpc-timeout) as the first, not a later one;
        // the first may give a later one only by its way to the server (a new connection, on a cold process).
        var arrivals = server.Calls.ArrivalsOf(key);
        Assert.Equal(3, arrivals.Count);
        var firstDeadline = arrivals[0].AtUtc + DeadlineTests.ParseGrpcTimeout(arrivals[0].GrpcTimeout);
        foreach (var retry in arrivals.Skip(1))
        {
            var retryDeadline = retry.AtUtc + DeadlineTests.ParseGrpcTimeout(retry.GrpcTimeout);
            // Slack for a retry's own way to the server on a busy machine; a stale grpc-timeout would be 500 ms or more later.
            Assert.True(retryDeadline <= firstDeadline + TimeSpan.FromMilliseconds(300),
                $"a retry at {retry.AtUtc:HH:mm:ss.fff} got grpc-timeout {retry.GrpcTimeout} (until {retryDeadline:HH:mm:ss.fff}); the first attempt at {arrivals[0].AtUtc:HH:mm:ss.fff} got {arrivals[0].GrpcTimeout} (until {firstDeadline:HH:mm:ss.fff})");
        }
    }

    [Theory]
    [InlineData(StatusCode.Internal)]
    [InlineData(StatusCode.NotFound)]
    [InlineData(StatusCode.Unknown)]
    [InlineData(StatusCode.ResourceExhausted)]
    [InlineData(StatusCode.DeadlineExceeded)]
    [InlineData(StatusCode.Aborted)]
    public async Task Other_statuses_are_not_retried(StatusCode code)
    {
        await using var host = new EchoClientHost(server.Address);
        var key = NewKey();

        var exception = await Assert.ThrowsAsync<RpcException>(() =>
            host.Client.FlakyAsync(new EchoRequest { Message = key, StatusCode = (int)code, Count = 1 }, cancellationToken: Cancellation).ResponseAsync);

        Assert.Equal(code, exception.StatusCode);
        Assert.Equal(1, server.Calls.CallsOf(key));
    }

    [Fact]
    public async Task Unavailable_after_the_response_headers_is_not_retried()
    {
        await using var host = new EchoClientHost(server.Address);
        var key = NewKey();

        var exception = await Assert.ThrowsAsync<RpcException>(() => host.Client.FlakyAsync(
            new EchoRequest { Message = key, StatusCode = (int)StatusCode.Unavailable, Count = 1, AfterHeaders = true }, cancellationToken: Cancellation).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, exception.StatusCode);
        Assert.Equal(1, server.Calls.CallsOf(key));
    }

    [Fact]
    public async Task Unavailable_after_a_message_is_not_retried()
    {
        await using var host = new EchoClientHost(server.Address);
        var key = NewKey();
        using var call = host.Client.Count(new EchoRequest { Message = key, Count = 2, StatusCode = (int)StatusCode.Unavailable }, cancellationToken: Cancellation);

        var received = new List<string>();
        var exception = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var reply in call.ResponseStream.ReadAllAsync(Cancellation))
                received.Add(reply.Message);
        });

        Assert.Equal(StatusCode.Unavailable, exception.StatusCode);
        Assert.Equal(["0", "1"], received);
        Assert.Equal(1, server.Calls.CallsOf(key));
    }

    [Fact]
    public async Task Deadline_bounds_the_whole_call_including_retries()
    {
        await using var host = new EchoClientHost(server.Address);
        var key = NewKey();
        // Connected first, so that the deadline measures the calls and not the connection.
        await host.Client.EchoAsync(new EchoRequest { Message = "connect" }, cancellationToken: Cancellation);
        var started = Stopwatch.StartNew();

        // Each call fails after 200 ms: the first and three retries with their back-off would take well over a second.
        var exception = await Assert.ThrowsAsync<RpcException>(() => host.Client.FlakyAsync(
            new EchoRequest { Message = key, StatusCode = (int)StatusCode.Unavailable, Count = int.MaxValue, DelayMs = 200 },
            deadline: DateTime.UtcNow.AddMilliseconds(500), cancellationToken: Cancellation).ResponseAsync);

        Assert.Equal(StatusCode.DeadlineExceeded, exception.StatusCode);
        Assert.InRange(started.Elapsed, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(5));
        Assert.InRange(server.Calls.CallsOf(key), 1, 3);
    }

    [Fact]
    public async Task Deadline_exceeded_is_not_retried()
    {
        await using var host = new EchoClientHost(server.Address);
        var key = NewKey();

        // Long enough for the host's first call to connect on a busy machine, so that the handler runs before the deadline.
        var exception = await Assert.ThrowsAsync<RpcException>(() => host.Client.WaitAsync(new EchoRequest { Message = key },
            deadline: DateTime.UtcNow.AddSeconds(1), cancellationToken: Cancellation).ResponseAsync);

        Assert.Equal(StatusCode.DeadlineExceeded, exception.StatusCode);
        await server.Calls.CancellationOf(key).WaitAsync(TimeSpan.FromSeconds(10), Cancellation);
        // A retry would have arrived at once; give it the time of a back-off to show up.
        await Task.Delay(300, Cancellation);
        Assert.Equal(1, server.Calls.CallsOf(key));
    }

    [Fact]
    public async Task Connection_failure_is_retried_on_the_next_discovered_endpoint()
    {
        await using var host = new EchoClientHost(LoopbackPorts.ClosedAddress(), server.Address);
        var key = NewKey();

        // Endpoints are picked in turn, so of two calls at least one starts on the closed port and must be retried.
        for (var i = 0; i < 2; i++)
        {
            var reply = await host.Client.EchoAsync(new EchoRequest { Message = key }, cancellationToken: Cancellation);
            Assert.Equal(key, reply.Message);
        }

        Assert.Equal(2, server.Calls.CallsOf(key));
        Assert.Contains(Retries(host), retry => retry.Exception is HttpRequestException);
    }

    [Fact]
    public async Task One_dead_endpoint_does_not_open_the_circuit_while_another_answers()
    {
        await using var host = new EchoClientHost(LoopbackPorts.ClosedAddress(), server.Address);
        var key = NewKey();

        // One call at a time, so that endpoints alternate within each call: every call starts on the closed port and
        // succeeds on its retry. Half the attempts fail, over the breaker's threshold (10% of at least 100 attempts in
        // 30 s), yet the service answers every call, so its circuit must stay closed.
        for (var call = 0; call < 55; call++)
        {
            var reply = await host.Client.EchoAsync(new EchoRequest { Message = key }, cancellationToken: Cancellation);
            Assert.Equal(key, reply.Message);
        }

        Assert.Equal(55, server.Calls.CallsOf(key));
        Assert.True(Retries(host).Count() >= 50, $"only {Retries(host).Count()} retries: the closed port was not tried often enough to judge");
    }

    [Fact]
    public async Task Unreachable_server_is_UNAVAILABLE_once_retries_are_spent()
    {
        await using var host = new EchoClientHost(LoopbackPorts.ClosedAddress());

        var exception = await Assert.ThrowsAsync<RpcException>(() =>
            host.Client.EchoAsync(new EchoRequest { Message = NewKey() }, cancellationToken: Cancellation).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, exception.StatusCode);
        Assert.Equal(3, Retries(host).Count(retry => retry.Exception is HttpRequestException));
    }

    [Fact]
    public async Task Repeated_unavailable_opens_the_circuit_and_calls_then_fail_at_once_without_reaching_the_server()
    {
        await using var host = new EchoClientHost(server.Address);
        var failing = NewKey();

        // The breaker judges calls, at least 100 in 30 s: 110 calls, each UNAVAILABLE once its retries are spent.
        var calls = Enumerable.Range(0, 110).Select(_ => Assert.ThrowsAsync<RpcException>(() => host.Client.FlakyAsync(
            new EchoRequest { Message = failing, StatusCode = (int)StatusCode.Unavailable, Count = int.MaxValue }, cancellationToken: Cancellation).ResponseAsync));
        var failures = await Task.WhenAll(calls);
        Assert.All(failures, failure => Assert.Equal(StatusCode.Unavailable, failure.StatusCode));
        var attempts = server.Calls.CallsOf(failing);

        var healthy = NewKey();
        var started = Stopwatch.StartNew();
        var rejected = await Assert.ThrowsAsync<RpcException>(() =>
            host.Client.EchoAsync(new EchoRequest { Message = healthy }, cancellationToken: Cancellation).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, rejected.StatusCode);
        Assert.Contains("not called for a few seconds", rejected.Status.Detail);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(1), $"the open circuit took {started.Elapsed.TotalMilliseconds:F0} ms to answer");
        Assert.Equal(0, server.Calls.CallsOf(healthy));
        Assert.Equal(attempts, server.Calls.CallsOf(failing));
        Assert.InRange(attempts, 100, 110 * 4);
    }
}
