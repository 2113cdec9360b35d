using Grpc.AspNetCore.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Checkout.ServiceDefaults.Grpc;

public static class GrpcServerExtensions
{
    /// <summary>The largest request message a service accepts; a larger one ends the call with RESOURCE_EXHAUSTED.</summary>
    public const int MaxReceiveMessageSize = 4 * 1024 * 1024;

    /// <summary>
    /// Grpc.AspNetCore as every Checkout service serves it: <see cref="ExceptionStatusInterceptor"/> (a database outage
    /// is UNAVAILABLE, which clients retry; no exception text ever reaches a client), the 4 MiB request limit, and the
    /// grpc.health.v1 service answering from the same health checks as /health. Map the services with
    /// <c>app.MapGrpcService&lt;T&gt;()</c> and the health service with <c>app.MapGrpcHealthChecksService()</c>.
    /// </summary>
    public static IGrpcServerBuilder AddGrpcServiceDefaults(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddGrpcHealthChecks();
        return builder.Services.AddGrpc(options =>
        {
            options.Interceptors.Add<ExceptionStatusInterceptor>();
            options.MaxReceiveMessageSize = MaxReceiveMessageSize;
            options.EnableDetailedErrors = false;
        });
    }
}
