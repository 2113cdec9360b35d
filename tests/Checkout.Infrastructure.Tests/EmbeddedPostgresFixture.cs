using Aspire.Hosting.ApplicationModel;
using Checkout.AppHost.Integrations.Postgres;
using Checkout.Contracts;
using Checkout.Testing.AppHost;
using Microsoft.Extensions.DependencyInjection;

namespace Checkout.Infrastructure.Tests;

/// <summary>
/// The app host's PostgreSQL and one service database (catalogdb), started through Aspire in a temporary data folder,
/// shared by the tests that stop, kill and restart the server: each leaves it running and healthy.
/// </summary>
public sealed class EmbeddedPostgresFixture : IAsyncLifetime
{
    public const string Server = "postgres";
    public const string Database = DatabaseNames.Catalog;

    public CheckoutApp App { get; private set; } = null!;

    /// <summary>The server as the app model holds it (data folder, port).</summary>
    public EmbeddedPostgresResource Resource =>
        App.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<EmbeddedPostgresResource>().Single();

    public async ValueTask InitializeAsync() =>
        App = await CheckoutApp.StartAsync(new CheckoutAppOptions { Resources = [Server, Database] }, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (App is not null)
            await App.DisposeAsync();
    }
}
