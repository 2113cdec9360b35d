using Grpc.Health.V1;

namespace Checkout.Grpc.Tests;

/// <summary>grpc.health.v1 (MapGrpcHealthChecksService) answers from the ASP.NET Core health checks.</summary>
public sealed class HealthTests(EchoServer server) : IClassFixture<EchoServer>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Check_is_SERVING_and_turns_NOT_SERVING_when_a_health_check_fails_then_back()
    {
        var health = new Health.HealthClient(server.Channel);

        var healthy = await health.CheckAsync(new HealthCheckRequest(), cancellationToken: Cancellation);
        server.DatabaseHealthy = false;
        HealthCheckResponse failing;
        try
        {
            failing = await health.CheckAsync(new HealthCheckRequest(), cancellationToken: Cancellation);
        }
        finally
        {
            server.DatabaseHealthy = true;
        }

        var recovered = await health.CheckAsync(new HealthCheckRequest(), cancellationToken: Cancellation);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, healthy.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, failing.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, recovered.Status);
    }

    [Fact]
    public async Task Check_of_an_unknown_service_is_NOT_FOUND()
    {
        var exception = await Assert.ThrowsAsync<RpcException>(() =>
            new Health.HealthClient(server.Channel).CheckAsync(new HealthCheckRequest { Service = "no.such.Service" }, cancellationToken: Cancellation).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, exception.StatusCode);
    }
}
