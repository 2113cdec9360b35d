using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Checkout.ServiceDefaults.Tests;

/// <summary>A real Kestrel app on a free 127.0.0.1 port, stopped and disposed with the test.</summary>
internal sealed class RunningApp : IAsyncDisposable
{
    private RunningApp(WebApplication app, Uri address)
    {
        App = app;
        Address = address;
    }

    public WebApplication App { get; }

    public Uri Address { get; }

    public IServiceProvider Services => App.Services;

    public static async Task<RunningApp> StartAsync(
        Action<WebApplicationBuilder> configureBuilder,
        Action<WebApplication> configureApp,
        IDictionary<string, string?>? configuration = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(configuration ?? new Dictionary<string, string?>());
        configureBuilder(builder);
        var app = builder.Build();
        configureApp(app);
        try
        {
            await app.StartAsync(TestContext.Current.CancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new RunningApp(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await App.StopAsync(CancellationToken.None);
        }
        finally
        {
            await App.DisposeAsync();
        }
    }
}
