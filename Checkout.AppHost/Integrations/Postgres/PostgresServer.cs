namespace Checkout.AppHost.Integrations.Postgres;

/// <summary>
/// The system's PostgreSQL server as Program.cs sees it, whichever way it runs (embedded, external, or a container
/// in the published manifest): <c>postgres.AddDatabase("ordersdb")</c> adds a service's database to it.
/// </summary>
public sealed class PostgresServer(
    IResourceBuilder<IResourceWithConnectionString> server,
    Func<string, IResourceBuilder<IResourceWithConnectionString>> addDatabase)
{
    /// <summary>The server resource.</summary>
    public IResourceBuilder<IResourceWithConnectionString> Resource { get; } = server;

    /// <summary>Adds database <paramref name="name"/> (its resource name and its name on the server).</summary>
    public IResourceBuilder<IResourceWithConnectionString> AddDatabase(string name) => addDatabase(name);
}
