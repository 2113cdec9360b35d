namespace Checkout.AppHost.Integrations.Postgres;

/// <summary>
/// A PostgreSQL server the app host does not run in a container: the embedded one, or a server of the user's own.
/// Its connection string names no database; <see cref="ProvisionedDatabaseResource"/> adds one.
/// </summary>
public interface IPostgresServerResource : IResourceWithConnectionString
{
    /// <summary>The largest pool each service opens per database (the services share the server's connections).</summary>
    int MaxPoolSize { get; }
}
