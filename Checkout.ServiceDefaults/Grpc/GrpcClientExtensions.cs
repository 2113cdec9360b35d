using Checkout.ServiceDefaults.Correlation;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;

namespace Checkout.ServiceDefaults.Grpc;

public static class GrpcClientExtensions
{
    /// <summary>
    /// Registers the generated client <typeparamref name="TClient"/> for the service named <paramref name="serviceName"/>
    /// (the name the app host gives it), as Grpc.Net.ClientFactory's typed client:
    /// <list type="bullet">
    /// <item>addressed <c>http://_grpc.{serviceName}</c>, the service's endpoint named "grpc" (its HTTP/2 port), resolved
    /// by service discovery on every attempt from <c>services__{serviceName}__grpc__0</c>. Grpc.Net.Client takes only http
    /// and https addresses (another scheme, such as Aspire's https+http, would need a gRPC name resolver of its own);</item>
    /// <item>one retry layer, <see cref="GrpcResilience"/>, in place of the standard HTTP handler every HttpClient gets
    /// from AddServiceDefaults (no gRPC retry policy on top of it); each retry tells the server only the time left of the
    /// deadline (<see cref="GrpcTimeoutRefreshHandler"/>);</item>
    /// <item>the deadline and cancellation of the gRPC call being served, when there is one, passed on;</item>
    /// <item>the request's correlation id sent as metadata (<see cref="CorrelationIdInterceptor"/>).</item>
    /// </list>
    /// </summary>
    public static IHttpClientBuilder AddGrpcServiceClient<TClient>(this IServiceCollection services, string serviceName)
        where TClient : ClientBase
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        services.AddHttpContextAccessor();
        services.TryAddSingleton<CorrelationIdInterceptor>();
        var builder = services
            .AddGrpcClient<TClient>(options => options.Address = new Uri($"http://_grpc.{serviceName}"))
            .AddInterceptor<CorrelationIdInterceptor>()
            .EnableCallContextPropagation(options => options.SuppressContextNotFoundErrors = true)
            .RemoveAllResilienceHandlers()
            .AddHttpMessageHandler(static () => new GrpcTimeoutRefreshHandler());
        builder.AddResilienceHandler(GrpcResilience.PipelineName, GrpcResilience.Configure);
        // AddServiceDefaults put service discovery before any handler of this client's: the retries go around it, so
        // that each attempt resolves the address again (and may reach another replica), and around the grpc-timeout
        // refresh, so that each attempt announces the time left.
        builder.ConfigureAdditionalHttpMessageHandlers(static (handlers, _) =>
        {
            var resilience = handlers.OfType<ResilienceHandler>().Single();
            handlers.Remove(resilience);
            handlers.Insert(0, resilience);
        });
        return builder;
    }
}
