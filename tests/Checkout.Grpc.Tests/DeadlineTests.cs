using System.Diagnostics;
using System.Globalization;
using Checkout.Grpc.Tests.Echo;

namespace Checkout.Grpc.Tests;

/// <summary>The deadline on our server, and passed on by AddGrpcServiceClient to the calls a handler makes.</summary>
public sealed class DeadlineTests(RelayServers servers) : IClassFixture<RelayServers>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Deadline_cancels_the_handler_and_the_client_gets_DEADLINE_EXCEEDED()
    {
        var key = "deadline-" + Guid.NewGuid();
        var started = Stopwatch.StartNew();

        // Long enough for a first call to connect on a busy machine, so that the handler runs before the deadline.
        var exception = await Assert.ThrowsAsync<RpcException>(() => servers.Downstream.Client.WaitAsync(new EchoRequest { Message = key },
            deadline: DateTime.UtcNow.AddSeconds(1), cancellationToken: Cancellation).ResponseAsync);

        Assert.Equal(StatusCode.DeadlineExceeded, exception.StatusCode);
        Assert.InRange(started.Elapsed, TimeSpan.FromMilliseconds(950), TimeSpan.FromSeconds(10));
        Assert.Equal(1, servers.Downstream.Calls.CallsOf(key));
        // The handler saw ServerCallContext.CancellationToken fire.
        await servers.Downstream.Calls.CancellationOf(key).WaitAsync(TimeSpan.FromSeconds(10), Cancellation);
    }

    [Fact]
    public async Task Downstream_call_gets_no_more_than_the_callers_remaining_time()
    {
        var key = "relay-deadline-" + Guid.NewGuid();
        var start = DateTime.UtcNow;
        var deadline = start.AddSeconds(20);

        var reply = await servers.Upstream.Client.RelayAsync(new EchoRequest { Message = key }, deadline: deadline, cancellationToken: Cancellation);

        // Without the deadline passed on, the downstream call would have none (no grpc-timeout at all).
        Assert.NotEqual("", reply.GrpcTimeout);
        Assert.InRange(ParseGrpcTimeout(reply.GrpcTimeout), TimeSpan.FromSeconds(10), deadline - start);
        Assert.Equal(1, servers.Downstream.Calls.CallsOf(key));
    }

    [Fact]
    public async Task Callers_deadline_ends_the_downstream_call_too()
    {
        var key = "relay-wait-" + Guid.NewGuid();

        // Long enough for the relay to reach the downstream server over new connections on a busy machine.
        var exception = await Assert.ThrowsAsync<RpcException>(() => servers.Upstream.Client.RelayWaitAsync(new EchoRequest { Message = key },
            deadline: DateTime.UtcNow.AddSeconds(1), cancellationToken: Cancellation).ResponseAsync);

        Assert.Equal(StatusCode.DeadlineExceeded, exception.StatusCode);
        Assert.Equal(1, servers.Downstream.Calls.CallsOf(key));
        // Without the deadline or the cancellation passed on, the downstream Wait would never end.
        await servers.Downstream.Calls.CancellationOf(key).WaitAsync(TimeSpan.FromSeconds(10), Cancellation);
    }

    /// <summary>A grpc-timeout header value: digits and a unit (H, M, S, m, u, n).</summary>
    internal static TimeSpan ParseGrpcTimeout(string value)
    {
        var amount = long.Parse(value.AsSpan(0, value.Length - 1), CultureInfo.InvariantCulture);
        return value[^1] switch
        {
            'H' => TimeSpan.FromHours(amount),
            'M' => TimeSpan.FromMinutes(amount),
            'S' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMilliseconds(amount),
            'u' => TimeSpan.FromMicroseconds(amount),
            'n' => TimeSpan.FromTicks(amount / 100),
            _ => throw new FormatException($"Not a grpc-timeout: '{value}'."),
        };
    }
}
