using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Checkout.Testing;

public static class WebApplicationAddress
{
    /// <summary>
    /// Starts a test server configured to listen on one address with port 0 (the kernel picks a free one) and returns
    /// the address Kestrel bound; a server that fails to start is disposed before the exception goes on.
    /// </summary>
    public static async Task<Uri> StartOnFreePortAsync(this WebApplication app, CancellationToken cancellationToken)
    {
        try
        {
            await app.StartAsync(cancellationToken);
            return new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }
}
