using System.Net;
using System.Net.Sockets;
using Checkout.Grpc.Tests.Echo;
using Checkout.ServiceDefaults.Grpc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Checkout.Grpc.Tests;

/// <summary>
/// AddGrpcClient composed with AddServiceDefaults: a logical address resolved by service discovery, and retries of
/// UNAVAILABLE only.
/// </summary>
public sealed class ClientResilienceTests(EchoServerFixture server) : IClassFixture<EchoServerFixture>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static IHost BuildHost(params string[] echoEndpoints) => BuildHost(withServiceDefaults: true, echoEndpoints);

    private static IHost BuildHost(bool withServiceDefaults, params string[] echoEndpoints)
    {
        var builder = Host.CreateApplicationBuilder();
        for (var i = 0; i < echoEndpoints.Length; i++) builder.Configuration[$"services:echo:http:{i}"] = echoEndpoints[i];
        if (withServiceDefaults) builder.AddServiceDefaults();
        builder.Services.AddGrpcClient("echo", new Uri("http://echo"));
        return builder.Build();
    }

    private GrpcClient ClientOf(IHost host) => host.Services.GetRequiredKeyedService<GrpcClient>("echo");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Unavailable_is_retried_until_the_call_succeeds(bool withServiceDefaults)
    {
        // Without AddServiceDefaults, AddGrpcClient brings service discovery itself.
        using var host = BuildHost(withServiceDefaults, server.Address.ToString());
        var key = "flaky-" + Guid.NewGuid();

        var reply = await ClientOf(host).UnaryAsync(EchoMethods.Flaky,
            new EchoRequest { Message = key, StatusCode = (int)StatusCode.Unavailable, Count = 2 }, new CallOptions(cancellationToken: Cancellation));

        Assert.Equal(key, reply.Message);
        Assert.Equal(3, server.Attempts[key]);
    }

    [Fact]
    public async Task Each_retry_tells_the_server_only_the_time_left()
    {
        using var host = BuildHost(server.Address.ToString());
        var key = "timeouts-" + Guid.NewGuid();

        await ClientOf(host).UnaryAsync(EchoMethods.Flaky, new EchoRequest { Message = key, StatusCode = (int)StatusCode.Unavailable, Count = 2 },
            new CallOptions(deadline: DateTime.UtcNow.AddSeconds(60), cancellationToken: Cancellation));

        var timeouts = server.TimeoutsSeen[key].Select(ToMicroseconds).ToArray();
        Assert.Equal(3, timeouts.Length);
        Assert.True(timeouts[0] <= 60_000_000 && timeouts[0] > timeouts[1] && timeouts[1] > timeouts[2], $"grpc-timeout per attempt: {string.Join(", ", server.TimeoutsSeen[key])}");

        static long ToMicroseconds(string header) => header[^1] switch
        {
            'u' => long.Parse(header[..^1]),
            'm' => long.Parse(header[..^1]) * 1000,
            _ => throw new FormatException($"Unexpected grpc-timeout unit in '{header}'."),
        };
    }

    [Theory]
    [InlineData(StatusCode.Internal)]
    [InlineData(StatusCode.Unknown)]
    [InlineData(StatusCode.DeadlineExceeded)]
    [InlineData(StatusCode.ResourceExhausted)]
    public async Task Other_statuses_are_not_retried(StatusCode code)
    {
        using var host = BuildHost(server.Address.ToString());
        var key = "not-retried-" + Guid.NewGuid();

        var exception = await Assert.ThrowsAsync<RpcException>(() => ClientOf(host).UnaryAsync(EchoMethods.Flaky,
            new EchoRequest { Message = key, StatusCode = (int)code, Count = 1 }, new CallOptions(cancellationToken: Cancellation)));

        Assert.Equal(code, exception.StatusCode);
        Assert.Equal(1, server.Attempts[key]);
    }

    [Fact]
    public async Task Deadline_bounds_the_call_and_is_not_retried()
    {
        using var host = BuildHost(server.Address.ToString());
        var key = "deadline-" + Guid.NewGuid();

        var exception = await Assert.ThrowsAsync<RpcException>(() => ClientOf(host).UnaryAsync(EchoMethods.Wait,
            new EchoRequest { Message = key }, new CallOptions(deadline: DateTime.UtcNow.AddMilliseconds(300), cancellationToken: Cancellation)));

        Assert.Equal(StatusCode.DeadlineExceeded, exception.StatusCode);
        await server.CancellationObserved(key).Task.WaitAsync(TimeSpan.FromSeconds(30), Cancellation);
        Assert.Equal(1, server.Attempts[key]);
    }

    [Fact]
    public async Task Connection_failure_is_retried_on_the_next_discovered_endpoint()
    {
        using var host = BuildHost(ClosedPortAddress(), server.Address.ToString());
        var client = ClientOf(host);

        // Round-robin: whichever endpoint a call starts on, a refused connection is retried on the other one.
        for (var i = 0; i < 2; i++)
        {
            var reply = await client.UnaryAsync(EchoMethods.Echo, new EchoRequest { Message = "via discovery " + i }, new CallOptions(cancellationToken: Cancellation));
            Assert.Equal("via discovery " + i, reply.Message);
        }
    }

    [Fact]
    public async Task Unreachable_server_is_unavailable_once_retries_are_spent()
    {
        using var host = BuildHost(ClosedPortAddress());

        var exception = await Assert.ThrowsAsync<RpcException>(() =>
            ClientOf(host).UnaryAsync(EchoMethods.Echo, new EchoRequest(), new CallOptions(cancellationToken: Cancellation)));

        Assert.Equal(StatusCode.Unavailable, exception.StatusCode);
    }

    /// <summary>An address nothing listens on: a port the OS gave us, then released.</summary>
    private static string ClosedPortAddress()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }
}
