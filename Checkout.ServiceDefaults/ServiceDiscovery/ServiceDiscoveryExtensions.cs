// Stands in for Microsoft.Extensions.ServiceDiscovery's registration API (same names, not its code).
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Checkout.ServiceDefaults.ServiceDiscovery;

public static class ServiceDiscoveryExtensions
{
    /// <summary>Registers <see cref="ServiceEndpointResolver"/>, reading the host's configuration.</summary>
    public static IServiceCollection AddServiceDiscovery(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<ServiceEndpointResolver>();
        return services;
    }

    /// <summary>
    /// Resolves the request URI of every request of this client (or of all clients, from ConfigureHttpClientDefaults).
    /// Asking again adds nothing: AddServiceDefaults gives every client discovery, and a client's own set-up may ask too.
    /// </summary>
    public static IHttpClientBuilder AddServiceDiscovery(this IHttpClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddServiceDiscovery();
        return builder.ConfigureAdditionalHttpMessageHandlers(static (handlers, services) =>
        {
            foreach (var handler in handlers)
            {
                if (handler is ServiceDiscoveryHttpMessageHandler)
                    return;
            }
            handlers.Add(new ServiceDiscoveryHttpMessageHandler(services.GetRequiredService<ServiceEndpointResolver>()));
        });
    }
}

/// <summary>
/// Rewrites the request URI for one attempt and restores it afterwards, so that a retry from an outer handler
/// resolves again and may reach another replica.
/// </summary>
internal sealed class ServiceDiscoveryHttpMessageHandler(ServiceEndpointResolver resolver) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var logicalUri = request.RequestUri;
        if (logicalUri is null)
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        request.RequestUri = resolver.Resolve(logicalUri);
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            request.RequestUri = logicalUri;
        }
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var logicalUri = request.RequestUri;
        if (logicalUri is null)
        {
            return base.Send(request, cancellationToken);
        }

        request.RequestUri = resolver.Resolve(logicalUri);
        try
        {
            return base.Send(request, cancellationToken);
        }
        finally
        {
            request.RequestUri = logicalUri;
        }
    }
}
