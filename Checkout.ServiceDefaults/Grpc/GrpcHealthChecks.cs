// Stands in for Grpc.AspNetCore.HealthChecks (not available here): the gRPC health checking protocol
// (grpc/grpc doc/health-checking.md) answered from ASP.NET Core's HealthCheckService.
using Checkout.Contracts.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Checkout.ServiceDefaults.Grpc;

public static class GrpcHealthChecksEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps grpc.health.v1.Health/Check. Service "" is the whole service: every registered check. Any other name
    /// selects the checks registered with that name or carrying that tag; a name no check has answers NOT_FOUND.
    /// Healthy and Degraded are SERVING, Unhealthy is NOT_SERVING. Watch is not offered (UNIMPLEMENTED).
    /// </summary>
    public static IEndpointConventionBuilder MapGrpcHealthChecks(this IEndpointRouteBuilder endpoints)
    {
        var healthChecks = endpoints.ServiceProvider.GetService<HealthCheckService>()
            ?? throw new InvalidOperationException("MapGrpcHealthChecks needs services.AddHealthChecks() (AddServiceDefaults registers it).");
        var registrations = endpoints.ServiceProvider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations;
        var service = HealthReflection.Descriptor.FindService("grpc.health.v1.Health");
        return endpoints.MapGrpcService(service, s => s.MapUnary<HealthCheckRequest, HealthCheckResponse>("Check", async (request, context) =>
        {
            Func<HealthCheckRegistration, bool>? predicate = null;
            if (request.Service.Length > 0)
            {
                var name = request.Service;
                predicate = r => r.Name == name || r.Tags.Contains(name);
                var known = false;
                foreach (var registration in registrations) known |= predicate(registration);
                if (!known) throw new RpcException(new Status(StatusCode.NotFound, $"Unknown service '{name}'."));
            }
            var report = await healthChecks.CheckHealthAsync(predicate, context.CancellationToken);
            return new HealthCheckResponse
            {
                Status = report.Status == HealthStatus.Unhealthy
                    ? HealthCheckResponse.Types.ServingStatus.NotServing
                    : HealthCheckResponse.Types.ServingStatus.Serving,
            };
        }));
    }
}
