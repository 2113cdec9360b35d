using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Checkout.Testing;

public static class WebApplicationAddress
{
    /// <summary>
    /// Starts a test server that listens on port 0 and returns the address Kestrel bound; a server that fails to
    /// start is disposed before the exception goes on.
    /// </summary>
    public static async Task<Uri> StartOnFreePortAsync(this WebApplication app, CancellationToken cancellationToken)
    {
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
    }
}
