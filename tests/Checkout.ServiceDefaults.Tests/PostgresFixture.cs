using Checkout.Testing.AppHost;

namespace Checkout.ServiceDefaults.Tests;

/// <summary>
/// The app host's PostgreSQL (and broker), run through Aspire as the app host runs them, once for the whole run; each
/// test makes a database of its own in it. The data folder is temporary and removed at the end.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    /// <summary>The server's resource name, for the tests that stop and start it through the app model.</summary>
    public const string Server = "postgres";

    private CheckoutApp? _app;

    public CheckoutApp App => _app ?? throw new InvalidOperationException("The fixture has not started.");

    public async ValueTask InitializeAsync() =>
        _app = await CheckoutApp.StartAsync(new CheckoutAppOptions { Resources = [Server, "kafka"] }, TestContext.Current.CancellationToken);

    /// <summary>A fresh database whose name starts with <paramref name="purpose"/>; returns its connection string.</summary>
    public Task<string> CreateDatabaseAsync(string purpose) =>
        App.CreateDatabaseAsync($"{purpose}_{Guid.NewGuid():N}"[..(purpose.Length + 13)], TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
            await _app.DisposeAsync();
    }
}
