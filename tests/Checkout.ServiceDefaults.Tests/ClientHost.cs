using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Checkout.ServiceDefaults.Tests;

/// <summary>
/// A service's host as far as its outgoing HTTP calls go: AddServiceDefaults over the given configuration (for
/// example "services:inventory:http:0", which the app host passes as services__inventory__http__0), and clients from
/// its IHttpClientFactory.
/// </summary>
internal sealed class ClientHost : IDisposable
{
    private readonly IHost _host;

    /// <param name="configuration">The host's whole configuration.</param>
    /// <param name="services">Registrations after AddServiceDefaults, as a test needs them.</param>
    public ClientHost(IDictionary<string, string?>? configuration = null, Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(configuration ?? new Dictionary<string, string?>());
        builder.AddServiceDefaults();
        services?.Invoke(builder.Services);
        _host = builder.Build();
    }

    /// <summary>A client as a service gets it: named, from the factory, every handler AddServiceDefaults adds.</summary>
    public HttpClient CreateClient(string name, Uri? baseAddress = null)
    {
        var client = _host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(name);
        client.BaseAddress = baseAddress;
        return client;
    }

    public void Dispose() => _host.Dispose();
}
