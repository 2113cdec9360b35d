namespace Checkout.AppHost.Integrations.Postgres;

/// <summary>
/// A PostgreSQL server of the user's own (Postgres:Mode=External), given as the connection string
/// ConnectionStrings:postgres of a role allowed to create databases. The app host runs nothing for it; it checks
/// that the server answers and creates the services' databases when missing.
/// </summary>
public sealed class ExternalPostgresResource(string name, ParameterResource connectionString, int maxPoolSize)
    : Resource(name), IPostgresServerResource
{
    public ParameterResource ConnectionString { get; } = connectionString;

    public int MaxPoolSize { get; } = maxPoolSize;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{ConnectionString}");
}
