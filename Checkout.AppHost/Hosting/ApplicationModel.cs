using System.Text.RegularExpressions;

namespace Checkout.AppHost.Hosting;

/// <summary>
/// A part of the application the host runs (a database server, a database, a broker, a project). The model is
/// what Program.cs declares; <see cref="Orchestrator"/> runs it. In the style of Aspire's IResource, in our namespace.
/// </summary>
public abstract partial class Resource
{
    protected Resource(string name)
    {
        if (name is null || !ValidName().IsMatch(name))
        {
            throw new ArgumentException(
                $"'{name}' is not a valid resource name: use 1-63 lowercase letters, digits or '-', starting with a letter.", nameof(name));
        }

        Name = name;
    }

    /// <summary>The logical name: the log prefix, the configuration section, the connection string or discovery name.</summary>
    public string Name { get; }

    public override string ToString() => Name;

    [GeneratedRegex("^[a-z][a-z0-9-]{0,62}$")]
    private static partial Regex ValidName();
}

/// <summary>A resource a project reaches through <c>ConnectionStrings__&lt;name&gt;</c>.</summary>
public interface IResourceWithConnectionString
{
    string Name { get; }
}

/// <summary>A PostgreSQL server: embedded (started by the host) or external (a connection string), per configuration.</summary>
public sealed class PostgresServerResource(string name) : Resource(name);

/// <summary>A database of a <see cref="PostgresServerResource"/>, created at start when it does not exist.</summary>
public sealed class PostgresDatabaseResource(string name, PostgresServerResource server) : Resource(name), IResourceWithConnectionString
{
    public PostgresServerResource Server { get; } = server;
}

/// <summary>A Kafka broker: embedded (in-process, topics created at start) or external (bootstrap servers), per configuration.</summary>
public sealed class KafkaResource(string name) : Resource(name), IResourceWithConnectionString
{
    private readonly List<string> _topics = [];

    /// <summary>The topics the embedded broker creates at start, each with its dead-letter topic (&lt;topic&gt;.dlq).</summary>
    public IReadOnlyList<string> Topics => _topics;

    public int Partitions { get; internal set; } = 6;

    internal void AddTopic(string topic) => _topics.Add(topic);
}

/// <summary>A .NET project run as a child process from its build output, on its own 127.0.0.1 port.</summary>
public sealed class ProjectResource(string name, string projectPath) : Resource(name)
{
    private readonly List<IResourceWithConnectionString> _connectionReferences = [];
    private readonly List<ProjectResource> _serviceReferences = [];
    private readonly List<Resource> _waitsFor = [];
    private readonly Dictionary<string, string?> _environment = new(StringComparer.Ordinal);

    /// <summary>The project file, full path.</summary>
    public string ProjectPath { get; } = projectPath;

    /// <summary>What it receives as <c>ConnectionStrings__&lt;name&gt;</c>.</summary>
    public IReadOnlyList<IResourceWithConnectionString> ConnectionReferences => _connectionReferences;

    /// <summary>The projects it calls: it receives <c>services__&lt;name&gt;__http__0</c> for each.</summary>
    public IReadOnlyList<ProjectResource> ServiceReferences => _serviceReferences;

    /// <summary>What must be healthy before it starts.</summary>
    public IReadOnlyList<Resource> WaitsFor => _waitsFor;

    /// <summary>Extra environment variables (null removes one the host would set).</summary>
    public IReadOnlyDictionary<string, string?> Environment => _environment;

    /// <summary>Whether its endpoint speaks HTTP/2 only (h2c, as gRPC services do); otherwise HTTP/1.1 is used to reach it.</summary>
    public bool IsHttp2Service { get; internal set; }

    /// <summary>A fixed port chosen in code; configuration (<c>&lt;name&gt;:Port</c>) overrides it; null for a free one.</summary>
    public int? Port { get; internal set; }

    internal void AddConnectionReference(IResourceWithConnectionString resource)
    {
        if (!_connectionReferences.Contains(resource))
        {
            _connectionReferences.Add(resource);
        }
    }

    internal void AddServiceReference(ProjectResource project)
    {
        if (!_serviceReferences.Contains(project))
        {
            _serviceReferences.Add(project);
        }
    }

    internal void AddWaitFor(Resource resource)
    {
        if (!_waitsFor.Contains(resource))
        {
            _waitsFor.Add(resource);
        }
    }

    internal void SetEnvironment(string name, string? value) => _environment[name] = value;
}

/// <summary>Everything Program.cs declared, in declaration order.</summary>
public sealed class ApplicationModel(IReadOnlyList<Resource> resources)
{
    public IReadOnlyList<Resource> Resources { get; } = resources;

    public IEnumerable<ProjectResource> Projects => Resources.OfType<ProjectResource>();

    public ProjectResource Project(string name) =>
        Projects.SingleOrDefault(project => project.Name == name)
        ?? throw new KeyNotFoundException($"No project named '{name}'; the application has {string.Join(", ", Projects.Select(project => project.Name))}.");
}
