namespace Checkout.AppHost.Integrations.Postgres;

/// <summary>
/// The machine's PostgreSQL server binaries run by the app host as an executable resource, listening on 127.0.0.1
/// only, with its data folder kept across runs like a container's volume. Aspire runs PostgreSQL in a container, which
/// needs a container runtime; this needs none. See <see cref="PostgresServerExtensions"/> for how it is started.
/// </summary>
public sealed class EmbeddedPostgresResource(
    string name, string command, string settingsSection, string dataDirectory, string? binDirectory, int port, int maxPoolSize)
    : ExecutableResource(name, command, workingDirectory: "/"), IPostgresServerResource
{
    public const string EndpointName = "tcp";

    /// <summary>The superuser the embedded cluster is created with (trust authentication, 127.0.0.1 only).</summary>
    public const string SuperUser = "postgres";

    /// <summary>The configuration section of the resource's settings ("Postgres"), which error messages name.</summary>
    public string SettingsSection { get; } = settingsSection;

    /// <summary>The cluster's data folder.</summary>
    public string DataDirectory { get; } = dataDirectory;

    /// <summary>The folder of the server programs (Postgres:BinDirectory); null to find the machine's own.</summary>
    public string? BinDirectory { get; } = binDirectory;

    /// <summary>The 127.0.0.1 port, fixed for the host's lifetime so that a restarted server is found where it was.</summary>
    public int Port { get; } = port;

    public int MaxPoolSize { get; } = maxPoolSize;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Host=127.0.0.1;Port={Port.ToString(System.Globalization.CultureInfo.InvariantCulture)};Username={SuperUser}");

    /// <summary>The folder holding postgres and initdb; throws <see cref="EmbeddedInfrastructureException"/> when there is none.</summary>
    internal string LocateBinaries() => PostgresBinaries.Locate(BinDirectory, $"{SettingsSection}:BinDirectory");
}
