// Stands in for Grpc.Net.ClientFactory's AddGrpcClient (not available here): a named HttpClient set up for gRPC,
// with service discovery and a resilience pipeline that retries only what gRPC says is safe to retry.
using System.Net;
using Checkout.ServiceDefaults.Resilience;
using Checkout.ServiceDefaults.ServiceDiscovery;
using Microsoft.Extensions.DependencyInjection;
using Polly;

namespace Checkout.ServiceDefaults.Grpc;

public static class GrpcClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="GrpcClient"/> for <paramref name="address"/>, resolved as a keyed service:
    /// <c>[FromKeyedServices("inventory")] GrpcClient inventory</c>. The address is logical
    /// (<c>http://inventory</c>, or <c>http://_grpc.inventory</c> for the service's endpoint named grpc) and resolved
    /// by service discovery on every attempt. The client's standard resilience handler replaces the one
    /// AddServiceDefaults gives every HttpClient: see <see cref="ConfigureGrpcResilience"/>.
    /// </summary>
    public static IHttpClientBuilder AddGrpcClient(this IServiceCollection services, string name, Uri address)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(address);
        var builder = services.AddHttpClient(name, httpClient => GrpcClient.ConfigureHttpClient(httpClient, address))
            .ConfigurePrimaryHttpMessageHandler(GrpcClient.CreateHttpHandler);
        // Same order as AddServiceDefaults: resilience outermost, so each retry resolves the address again.
        builder.AddStandardResilienceHandler(ConfigureGrpcResilience);
        builder.AddServiceDiscovery();
        builder.ConfigureAdditionalHttpMessageHandlers(static (handlers, _) => handlers.Add(new GrpcDeadlineHandler()));
        services.AddKeyedTransient(name, (provider, _) => new GrpcClient(provider.GetRequiredService<IHttpClientFactory>().CreateClient(name)));
        return builder;
    }

    /// <summary>
    /// The standard pipeline, made safe for gRPC. A gRPC call is a POST that the server may have acted on, so it is
    /// retried only when gRPC says so: UNAVAILABLE (the connection failed, or a trailers-only response with
    /// grpc-status 14, or a proxy's 502/503/504/429) and only before any response message arrived, which holds
    /// here by construction: the handler returns at the response headers, and messages are read after it.
    /// Never after DEADLINE_EXCEEDED or cancellation: the call's deadline is the cancellation token of the whole
    /// pipeline, so it bounds every attempt and every back-off, and each attempt's grpc-timeout is the time left;
    /// the pipeline's own timeouts are switched off, since a fixed 10 s attempt timeout would cut calls whose
    /// deadline is longer.
    /// </summary>
    public static void ConfigureGrpcResilience(HttpStandardResilienceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Retry.ShouldHandle = static args => ValueTask.FromResult(IsUnavailable(args.Outcome));
        options.Retry.Delay = TimeSpan.FromMilliseconds(100);
        options.CircuitBreaker.ShouldHandle = static args => ValueTask.FromResult(IsUnavailable(args.Outcome));
        options.AttemptTimeout.TimeoutGenerator = static _ => ValueTask.FromResult(Timeout.InfiniteTimeSpan);
        options.TotalRequestTimeout.TimeoutGenerator = static _ => ValueTask.FromResult(Timeout.InfiniteTimeSpan);
    }

    /// <summary>True for an attempt that <see cref="GrpcClient"/> would report as UNAVAILABLE before any message.</summary>
    public static bool IsUnavailable(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException } => true,
        { Result: { } response } => response.Headers.NonValidated.TryGetValues(GrpcProtocol.StatusHeader, out var status)
            ? status.ToString() == "14"
            : response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout or HttpStatusCode.TooManyRequests,
        _ => false,
    };
}
