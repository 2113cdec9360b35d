using Checkout.AppHost.Infrastructure;

namespace Checkout.ServiceDefaults.Tests;

/// <summary>One embedded PostgreSQL cluster for the whole run; each test makes a database of its own in it.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public EmbeddedPostgres Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await EmbeddedPostgres.StartAsync();

    /// <summary>A fresh database whose name starts with <paramref name="purpose"/>; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string purpose)
    {
        var name = $"{purpose}_{Guid.NewGuid():N}"[..(purpose.Length + 13)];
        await Server.CreateDatabaseAsync(name, TestContext.Current.CancellationToken);
        return Server.GetConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}
