using Checkout.AppHost.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Checkout.AppHost.Hosting;

/// <summary>Options of <see cref="CheckoutSystem"/>.</summary>
public sealed record CheckoutSystemOptions
{
    /// <summary>Extra configuration per project (by logical name), given through its environment; null removes a variable.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>> ServiceEnvironment { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string?>>();

    /// <summary>Extra AppHost configuration, as on its command line ("--Key=value", e.g. "--AppHost:Restart:MaxRestarts=0").</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Logs of every resource (category Checkout.AppHost.Resources.&lt;name&gt;) and of the host ("...apphost").</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}

/// <summary>
/// The whole checkout system in this process, for tests and benchmarks: the model Checkout.AppHost/Program.cs declares
/// (captured with <see cref="CheckoutApplication.FromProgram"/>, so there is one map of the system), run by the same
/// orchestrator as the AppHost, with a temporary embedded PostgreSQL cluster, the embedded broker and the projects'
/// existing build output (--no-build). Everything it started stops with it, or with its process.
/// </summary>
public sealed class CheckoutSystem : IAsyncDisposable
{
    private const string PostgresName = "postgres";
    private const string KafkaName = "kafka";

    // What a test or benchmark needs: nothing shared with a developer's running AppHost (its .data folder), no build.
    private static readonly string[] SystemArguments =
        ["--no-build", $"--{PostgresName}:Mode=Embedded", $"--{PostgresName}:Temporary=true", $"--{KafkaName}:Mode=Embedded"];

    private static readonly Lazy<ApplicationModel> Model = new(() => CheckoutApplication.FromProgram(SystemArguments).Model);

    private static readonly Lazy<IReadOnlyList<ServiceDefinition>> DefinitionsOfModel = new(() => Model.Value.Projects
        .Select(project => new ServiceDefinition(
            project.Name,
            Path.GetRelativePath(FindRepositoryRoot(), project.ProjectPath),
            project.ConnectionReferences.OfType<PostgresDatabaseResource>().Select(database => database.Name).FirstOrDefault()))
        .ToList());

    private readonly Orchestrator _orchestrator;

    private CheckoutSystem(Orchestrator orchestrator) => _orchestrator = orchestrator;

    /// <summary>The projects of Program.cs in declaration order (a project's references are declared before it).</summary>
    public static IReadOnlyList<ServiceDefinition> Definitions => DefinitionsOfModel.Value;

    /// <summary>The topics the embedded broker is given (Program.cs's WithTopics); each also has its .dlq.</summary>
    public static IReadOnlyList<string> Topics => Model.Value.Resources.OfType<KafkaResource>().Single().Topics;

    public static int TopicPartitions => Model.Value.Resources.OfType<KafkaResource>().Single().Partitions;

    public EmbeddedPostgres Postgres => _orchestrator.EmbeddedPostgres(PostgresName)!;

    public EmbeddedKafka Kafka => _orchestrator.EmbeddedKafka(KafkaName)!;

    /// <summary>The running projects by logical name.</summary>
    public IReadOnlyDictionary<string, ServiceProcess> Services => _orchestrator.Projects;

    /// <summary>The project named <paramref name="name"/> (catalog, orders, inventory, payments, notifications...).</summary>
    public ServiceProcess this[string name] => _orchestrator.Project(name);

    /// <summary>Starts the infrastructure and every project, and returns once all of them are healthy.</summary>
    public static async Task<CheckoutSystem> StartAsync(CheckoutSystemOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new CheckoutSystemOptions();
        var application = CheckoutApplication.FromProgram([.. SystemArguments, .. options.Arguments]);
        foreach (var (name, environment) in options.ServiceEnvironment)
        {
            var project = application.Model.Project(name);
            foreach (var (variable, value) in environment)
            {
                project.SetEnvironment(variable, value);
            }
        }

        return new CheckoutSystem(await application.StartAsync(options.LoggerFactory ?? NullLoggerFactory.Instance, cancellationToken));
    }

    /// <summary>The connection string project <paramref name="name"/> is given for its database.</summary>
    public string DatabaseConnectionString(string name) =>
        _orchestrator.ConnectionString(Definitions.Single(definition => definition.Name == name).Database
            ?? throw new InvalidOperationException($"The project '{name}' has no database."));

    /// <summary>Stops the projects, then the broker and PostgreSQL.</summary>
    public async ValueTask DisposeAsync() => await _orchestrator.DisposeAsync();

    /// <summary>The folder holding Checkout.sln.</summary>
    public static string FindRepositoryRoot() => CheckoutApplicationBuilder.DefaultRepositoryRoot;
}

/// <summary>A project of the system: logical name, project (relative to the repository root) and database (if any).</summary>
public sealed record ServiceDefinition(string Name, string ProjectPath, string? Database);
