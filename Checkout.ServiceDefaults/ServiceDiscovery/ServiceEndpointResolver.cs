// Stands in for Microsoft.Extensions.ServiceDiscovery's configuration provider and round-robin selector (same
// configuration format as .NET Aspire, not its code): services:{service}:{endpoint}:{index} = address.
using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace Checkout.ServiceDefaults.ServiceDiscovery;

/// <summary>
/// Turns a logical address into a configured one: <c>http://inventory/items</c> with
/// <c>services:inventory:http:0 = http://127.0.0.1:5123</c> becomes <c>http://127.0.0.1:5123/items</c>.
/// <list type="bullet">
/// <item><c>https+http://inventory</c> tries the endpoint named https first, then http.</item>
/// <item><c>http://_grpc.inventory</c> uses the endpoint named grpc.</item>
/// <item>Several indexes are used in turn (round-robin).</item>
/// <item>IP addresses, localhost and dotted host names without an entry pass through unchanged.</item>
/// </list>
/// Values are absolute URIs or host:port (then the scheme is the endpoint name if it is http or https, else the
/// request's). Entries are cached until the
/// configuration reloads.
/// </summary>
public sealed class ServiceEndpointResolver : IDisposable
{
    private const string SectionName = "services";

    private readonly IConfiguration _configuration;
    private readonly IDisposable _reloadRegistration;
    private readonly ConcurrentDictionary<(string Service, string Endpoint, string DefaultScheme), ServiceEndpoints?> _cache = new();

    public ServiceEndpointResolver(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        _configuration = configuration;
        _reloadRegistration = ChangeToken.OnChange(configuration.GetReloadToken, _cache.Clear);
    }

    /// <summary>The address to send to; throws InvalidOperationException naming the key to set when a service is unknown.</summary>
    public Uri Resolve(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri)
        {
            throw new ArgumentException($"Service discovery needs an absolute URI, got '{uri}'.", nameof(uri));
        }

        var schemes = uri.Scheme.Split('+');
        var host = uri.Host;
        if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6
            || string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return schemes.Length == 1 ? uri : WithScheme(uri, schemes[0]);
        }

        var (service, endpointNames) = host.StartsWith('_') && host.IndexOf('.') is var dot and > 1
            ? (host[(dot + 1)..], new[] { host[1..dot] })
            : (host, schemes);

        foreach (var endpointName in endpointNames)
        {
            var defaultScheme = endpointName is "http" or "https" ? endpointName : schemes[0];
            var endpoints = _cache.GetOrAdd((service, endpointName, defaultScheme), key => Load(key.Service, key.Endpoint, key.DefaultScheme));
            if (endpoints is not null)
            {
                var endpoint = endpoints.Next();
                return new UriBuilder(uri) { Scheme = endpoint.Scheme, Host = endpoint.Host, Port = endpoint.Port }.Uri;
            }
        }

        if (host.Contains('.') && !host.StartsWith('_'))
        {
            return schemes.Length == 1 ? uri : WithScheme(uri, schemes[0]);
        }

        var keys = string.Join(" or ", endpointNames.Select(name => $"'{SectionName}:{service}:{name}:0' (environment variable {SectionName}__{service}__{name}__0)"));
        throw new InvalidOperationException(
            $"Service discovery has no endpoint for '{host}' in '{uri.GetLeftPart(UriPartial.Authority)}'. Set {keys} to its address, for example http://127.0.0.1:5000.");
    }

    public void Dispose() => _reloadRegistration.Dispose();

    private ServiceEndpoints? Load(string service, string endpointName, string defaultScheme)
    {
        var section = _configuration.GetSection(SectionName).GetSection(service).GetSection(endpointName);
        var endpoints = section.GetChildren()
            .Where(entry => !string.IsNullOrWhiteSpace(entry.Value))
            .Select(entry => ParseEndpoint(entry, defaultScheme))
            .ToArray();
        return endpoints.Length == 0 ? null : new ServiceEndpoints(endpoints);
    }

    private static Uri ParseEndpoint(IConfigurationSection entry, string defaultScheme)
    {
        var value = entry.Value!.Trim();
        var text = value.Contains("://", StringComparison.Ordinal) ? value : $"{defaultScheme}://{value}";
        if (!Uri.TryCreate(text, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException(
                $"Configuration key '{entry.Path}' holds '{value}', which is not an http or https address such as http://127.0.0.1:5000 or 127.0.0.1:5000.");
        }

        return endpoint;
    }

    private static Uri WithScheme(Uri uri, string scheme) => new UriBuilder(uri) { Scheme = scheme }.Uri;

    private sealed class ServiceEndpoints(Uri[] endpoints)
    {
        private uint _next;

        public Uri Next() => endpoints.Length == 1
            ? endpoints[0]
            : endpoints[(Interlocked.Increment(ref _next) - 1) % (uint)endpoints.Length];
    }
}
