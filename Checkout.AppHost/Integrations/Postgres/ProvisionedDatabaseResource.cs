namespace Checkout.AppHost.Integrations.Postgres;

/// <summary>
/// A service's database on an <see cref="IPostgresServerResource"/>, created by the app host when missing once the
/// server is ready (see <see cref="PostgresServerExtensions"/>), and shown in the dashboard under its server.
/// </summary>
public sealed class ProvisionedDatabaseResource(string name, IPostgresServerResource server)
    : Resource(name), IResourceWithParent<IPostgresServerResource>, IResourceWithConnectionString
{
    public IPostgresServerResource Parent { get; } = server;

    /// <summary>The database's name on the server (the resource's name).</summary>
    public string DatabaseName => Name;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Parent};Database={DatabaseName};Maximum Pool Size={Parent.MaxPoolSize.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
}
