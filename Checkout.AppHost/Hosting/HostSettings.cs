using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Checkout.AppHost.Hosting;

/// <summary>How an infrastructure resource is provided.</summary>
public enum InfrastructureMode
{
    /// <summary>Started by the host: the embedded PostgreSQL cluster, the in-process Kafka-protocol broker.</summary>
    Embedded,

    /// <summary>Already running elsewhere: the host only hands its address to the projects.</summary>
    External,
}

/// <summary>When and how often a project that exited on its own is started again.</summary>
/// <param name="MaxRestarts">Restarts in a row before the host gives up on the project (0: never restart).</param>
/// <param name="InitialDelay">The wait before the first restart; it doubles with each further one.</param>
/// <param name="MaxDelay">The longest wait between restarts.</param>
/// <param name="ResetAfter">A run healthy for this long starts the count again.</param>
public sealed record RestartPolicy(int MaxRestarts, TimeSpan InitialDelay, TimeSpan MaxDelay, TimeSpan ResetAfter)
{
    public static RestartPolicy Default { get; } = new(10, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1));

    /// <summary>The wait before restart number <paramref name="restart"/> (1-based).</summary>
    public TimeSpan DelayBefore(int restart)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(restart, 1);
        var delay = InitialDelay * Math.Pow(2, Math.Min(restart - 1, 30));
        return delay < MaxDelay ? delay : MaxDelay;
    }
}

/// <summary>
/// The host's settings, read from configuration (appsettings.json, environment variables with "__", command line
/// "--Section:Key=value"). Every value is validated here, so a bad one is reported by its key before anything starts.
/// </summary>
internal sealed class HostSettings
{
    private readonly IConfiguration _configuration;

    private HostSettings(IConfiguration configuration, string repositoryRoot)
    {
        _configuration = configuration;
        RepositoryRoot = repositoryRoot;
        NoBuild = Bool("AppHost:NoBuild", false);
        EnvironmentName = String("AppHost:Environment") ?? "Development";
        OtlpEndpoint = Uri("AppHost:OtlpEndpoint");
        StartTimeout = Duration("AppHost:StartTimeout", TimeSpan.FromSeconds(60));
        StopTimeout = Duration("AppHost:StopTimeout", TimeSpan.FromSeconds(10));
        Restart = new RestartPolicy(
            Int("AppHost:Restart:MaxRestarts", RestartPolicy.Default.MaxRestarts, 0, int.MaxValue),
            Duration("AppHost:Restart:InitialDelay", RestartPolicy.Default.InitialDelay),
            Duration("AppHost:Restart:MaxDelay", RestartPolicy.Default.MaxDelay),
            Duration("AppHost:Restart:ResetAfter", RestartPolicy.Default.ResetAfter));
    }

    public string RepositoryRoot { get; }

    /// <summary>AppHost:NoBuild (--no-build): run the projects' existing build output.</summary>
    public bool NoBuild { get; }

    /// <summary>AppHost:Environment: the projects' ASPNETCORE_ENVIRONMENT and DOTNET_ENVIRONMENT.</summary>
    public string EnvironmentName { get; }

    /// <summary>AppHost:OtlpEndpoint: the projects' OTEL_EXPORTER_OTLP_ENDPOINT; none when absent.</summary>
    public Uri? OtlpEndpoint { get; }

    /// <summary>AppHost:StartTimeout: how long a project may take to answer /health.</summary>
    public TimeSpan StartTimeout { get; }

    /// <summary>AppHost:StopTimeout: how long a project may take to stop after SIGTERM before it is killed.</summary>
    public TimeSpan StopTimeout { get; }

    /// <summary>AppHost:Restart:*.</summary>
    public RestartPolicy Restart { get; }

    public static HostSettings Read(IConfiguration configuration, string repositoryRoot) => new(configuration, repositoryRoot);

    /// <summary>&lt;resource&gt;:Mode.</summary>
    public InfrastructureMode Mode(Resource resource)
    {
        var key = $"{resource.Name}:Mode";
        return String(key) switch
        {
            null => InfrastructureMode.Embedded,
            var value when Enum.TryParse<InfrastructureMode>(value, ignoreCase: true, out var mode) && !int.TryParse(value, out _) => mode,
            var value => throw Invalid(key, value, "Embedded or External"),
        };
    }

    /// <summary>&lt;postgres&gt;:ConnectionString, required in External mode.</summary>
    public string ExternalConnectionString(PostgresServerResource server) =>
        Required($"{server.Name}:ConnectionString", "a PostgreSQL connection string (Host=...;Port=...;Username=...;Password=...)");

    /// <summary>&lt;kafka&gt;:BootstrapServers, required in External mode.</summary>
    public string ExternalBootstrapServers(KafkaResource kafka) =>
        Required($"{kafka.Name}:BootstrapServers", "the brokers' host:port list");

    /// <summary>&lt;postgres&gt;:Port in Embedded mode (0 or absent: a free port).</summary>
    public int EmbeddedPort(PostgresServerResource server) => Int($"{server.Name}:Port", 0, 0, 65535);

    /// <summary>
    /// &lt;postgres&gt;:DataDirectory in Embedded mode, relative to the repository: kept across runs like a data volume
    /// (default .data/&lt;name&gt;); null when &lt;postgres&gt;:Temporary is true (a fresh cluster deleted at stop).
    /// </summary>
    public string? DataDirectory(PostgresServerResource server) =>
        Bool($"{server.Name}:Temporary", false)
            ? null
            : Path.GetFullPath(String($"{server.Name}:DataDirectory") ?? Path.Combine(".data", server.Name), RepositoryRoot);

    /// <summary>&lt;postgres&gt;:MaxPoolSize: each project's connection pool limit per database.</summary>
    public int MaxPoolSize(PostgresServerResource server) => Int($"{server.Name}:MaxPoolSize", PostgresPools.DefaultMaxPoolSize, 1, 1000);

    /// <summary>&lt;project&gt;:Port, else the port set in code, else null (a free one).</summary>
    public int? Port(ProjectResource project) =>
        Int($"{project.Name}:Port", project.Port ?? 0, 0, 65535) is var port and > 0 ? port : null;

    /// <summary>&lt;project&gt;:Environment:&lt;VARIABLE&gt;: extra environment variables of a project, set without editing Program.cs.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Environment(ProjectResource project) =>
        _configuration.GetSection($"{project.Name}:Environment").GetChildren().Select(variable => new KeyValuePair<string, string?>(variable.Key, variable.Value));

    /// <summary>The configuration key a fixed port of <paramref name="resource"/> comes from, for messages.</summary>
    public static string PortKey(Resource resource) => $"{resource.Name}:Port";

    private string? String(string key) => _configuration[key] is { Length: > 0 } value ? value.Trim() : null;

    private string Required(string key, string what) =>
        String(key) ?? throw new HostingException($"{key} is not set: in External mode it must hold {what}. Set it in appsettings.json, as an environment variable ({key.Replace(":", "__", StringComparison.Ordinal)}) or on the command line (--{key}=...).");

    private bool Bool(string key, bool fallback) => String(key) switch
    {
        null => fallback,
        var value when bool.TryParse(value, out var parsed) => parsed,
        var value => throw Invalid(key, value, "true or false"),
    };

    private int Int(string key, int fallback, int min, int max) => String(key) switch
    {
        null => fallback,
        var value when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed >= min && parsed <= max => parsed,
        var value => throw Invalid(key, value, $"a whole number from {min} to {max}"),
    };

    private TimeSpan Duration(string key, TimeSpan fallback) => String(key) switch
    {
        null => fallback,
        var value when TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var parsed) && parsed > TimeSpan.Zero => parsed,
        var value => throw Invalid(key, value, "a positive duration such as 00:00:30"),
    };

    private Uri? Uri(string key) => String(key) switch
    {
        null => null,
        var value when System.Uri.TryCreate(value, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https" => parsed,
        var value => throw Invalid(key, value, "an absolute http(s) URL such as http://localhost:4317"),
    };

    private static HostingException Invalid(string key, string value, string expected) =>
        new($"{key} is '{value}'; it must be {expected}.");
}

/// <summary>How the projects' connection pools share one PostgreSQL server.</summary>
public static class PostgresPools
{
    /// <summary>
    /// The services share one cluster (max_connections 100, 3 reserved for superusers); with Npgsql's default of 100
    /// per pool, a burst on one service would take every connection and the others would fail with "too many
    /// clients already". Five services' pools of 16 (and the simulated payment provider's ledger pool of 4) fit, and 16 is
    /// plenty on a few cores.
    /// </summary>
    public const int DefaultMaxPoolSize = 16;
}

/// <summary>
/// The host could not do what the application declares: a bad setting, a port in use, a project that does not
/// build or never becomes healthy. The message names the resource and what to do; the host prints it, not a stack trace.
/// </summary>
public sealed class HostingException(string message) : InvalidOperationException(message);
