using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

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

    /// <param name="environment">The host environment's name (Development, Production...); null for the default.</param>
    public static async Task<RunningApp> StartAsync(
        Action<WebApplicationBuilder> configureBuilder,
        Action<WebApplication> configureApp,
        IDictionary<string, string?>? configuration = null,
        string? environment = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(configuration ?? new Dictionary<string, string?>());
        configureBuilder(builder);
        var app = builder.Build();
        configureApp(app);
        return new RunningApp(app, await app.StartOnFreePortAsync(TestContext.Current.CancellationToken));
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
