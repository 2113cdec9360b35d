using Checkout.Grpc.Tests.Echo;
using Checkout.ServiceDefaults.Correlation;

namespace Checkout.Grpc.Tests;

/// <summary>The correlation id of the request being served travels with the gRPC calls it makes (CorrelationIdInterceptor).</summary>
public sealed class CorrelationIdTests(RelayServers servers) : IClassFixture<RelayServers>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Callers_correlation_id_reaches_the_downstream_server_as_metadata()
    {
        var correlationId = "order-42." + Guid.NewGuid().ToString("N");

        var reply = await servers.Upstream.Client.RelayAsync(new EchoRequest { Message = correlationId },
            new Metadata { { CorrelationId.MetadataKey, correlationId } }, cancellationToken: Cancellation);

        Assert.Equal(correlationId, reply.CorrelationId);
    }

    [Fact]
    public async Task Correlation_id_made_for_a_request_without_one_reaches_the_downstream_server()
    {
        using var call = servers.Upstream.Client.RelayAsync(new EchoRequest { Message = "no-id-" + Guid.NewGuid() }, cancellationToken: Cancellation);

        var reply = await call.ResponseAsync;
        var returned = (await call.ResponseHeadersAsync).GetValue(CorrelationId.MetadataKey);

        Assert.Matches("^[0-9a-f]{32}$", reply.CorrelationId);
        Assert.Equal(returned, reply.CorrelationId);
    }

    [Fact]
    public async Task Call_made_outside_any_request_carries_no_correlation_id()
    {
        await using var host = new EchoClientHost(servers.Downstream.Address);

        var reply = await host.Client.EchoAsync(new EchoRequest { Message = "background-" + Guid.NewGuid() }, cancellationToken: Cancellation);

        Assert.Equal("", reply.CorrelationId);
    }
}
