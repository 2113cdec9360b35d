using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Checkout.AppHost.Infrastructure;
using Checkout.Contracts;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Checkout.AppHost.Hosting;

/// <summary>The states a resource goes through, as the host reports them.</summary>
public enum ResourceState
{
    Waiting,
    Building,
    Starting,
    Running,
    Exited,
    Restarting,
    Failed,
    Stopping,
    Stopped,
}

/// <summary>
/// Runs an <see cref="ApplicationModel"/>: builds the projects, starts the infrastructure (embedded or external per
/// configuration), starts each project once what it waits for is healthy, restarts a project that exits on its own
/// (<see cref="RestartPolicy"/>), and stops everything in reverse: projects, then brokers, then database servers.
/// Every child process is owner-bound (<see cref="OwnerBoundProcess"/>): none outlives the host, even after kill -9.
/// </summary>
internal sealed class Orchestrator : IAsyncDisposable
{
    private readonly ApplicationModel _model;
    private readonly HostSettings _settings;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _host;
    private readonly string _buildConfiguration;
    private readonly ConcurrentDictionary<string, (ResourceState State, string Detail)> _states = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EmbeddedPostgres> _embeddedPostgres = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EmbeddedKafka> _embeddedKafka = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _connectionStrings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ServiceProcess> _projects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, string?>> _environments = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RunHistory> _runs = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<Task> _restarts = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _stopGate = new();
    private Task? _stopped;

    public Orchestrator(ApplicationModel model, HostSettings settings, ILoggerFactory loggers, string buildConfiguration)
    {
        _model = model;
        _settings = settings;
        _loggers = loggers;
        _buildConfiguration = buildConfiguration;
        _host = ResourceLogger("apphost");
        foreach (var resource in model.Resources)
        {
            _states[resource.Name] = (ResourceState.Waiting, "");
        }
    }


    /// <summary>Each resource's current state and what goes with it (address, exit code...).</summary>
    public IReadOnlyDictionary<string, (ResourceState State, string Detail)> States => _states;

    /// <summary>The running project <paramref name="name"/>.</summary>
    public ServiceProcess Project(string name) => _projects.TryGetValue(name, out var project)
        ? project
        : throw new KeyNotFoundException($"No project named '{name}'; the application runs {string.Join(", ", _projects.Keys)}.");

    public IReadOnlyDictionary<string, ServiceProcess> Projects => _projects;

    /// <summary>What a project referencing <paramref name="name"/> (a database or broker) receives as its connection string.</summary>
    public string ConnectionString(string name) => _connectionStrings.TryGetValue(name, out var value)
        ? value
        : throw new KeyNotFoundException($"No database or broker named '{name}' is running.");

    /// <summary>The embedded PostgreSQL server <paramref name="name"/>, or null when it is external.</summary>
    public EmbeddedPostgres? EmbeddedPostgres(string name) => _embeddedPostgres.GetValueOrDefault(name);

    /// <summary>The embedded broker <paramref name="name"/>, or null when it is external.</summary>
    public EmbeddedKafka? EmbeddedKafka(string name) => _embeddedKafka.GetValueOrDefault(name);

    /// <summary>Starts every resource and returns once all are healthy; on any failure stops what started and throws.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        Task? all = null;
        try
        {
            CheckSettings();
            CheckFixedPorts();
            var ready = new Dictionary<Resource, Task>();
            // A project's readiness exists before any project starts, so that WaitFor works whatever the declaration order.
            var projectsReady = _model.Projects.ToDictionary(project => project, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            var build = Guard(BuildAsync(failed.Token), failed);
            foreach (var resource in _model.Resources)
            {
                ready[resource] = resource switch
                {
                    PostgresServerResource server => Guard(StartPostgresAsync(server, failed.Token), failed),
                    PostgresDatabaseResource database => Guard(CreateDatabaseAsync(database, ready[database.Server], failed.Token), failed),
                    KafkaResource kafka => Guard(StartKafkaAsync(kafka, failed.Token), failed),
                    ProjectResource project => projectsReady[project].Task, // started below, once every endpoint is known
                    _ => throw new NotSupportedException($"The host cannot run a {resource.GetType().Name}."),
                };
            }

            // Every project's port is chosen before any starts: a project's environment names the endpoints it calls.
            foreach (var project in _model.Projects)
            {
                _projects[project.Name] = CreateProcess(project);
            }

            var starts = _model.Projects.Select(project => ReportAsync(
                Guard(StartProjectAsync(project, build, project.WaitsFor.Select(dependency => ready[dependency]).ToList(), failed.Token), failed),
                projectsReady[project])).ToList();

            all = Task.WhenAll(ready.Values.Concat(starts).Append(build));
            await all;
        }
        catch (Exception exception)
        {
            await StopAsync();
            // The first failure cancelled the rest: report it, not the cancellations it caused.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(FirstFailure(all?.Exception ?? exception) ?? exception);
            throw;
        }
    }

    private static async Task ReportAsync(Task start, TaskCompletionSource ready)
    {
        await start.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        ready.SetFromTask(start);
    }

    /// <summary>Stops projects (SIGTERM, then KILL after AppHost:StopTimeout), then brokers, then database servers; idempotent.</summary>
    public Task StopAsync()
    {
        lock (_stopGate)
        {
            _stopped ??= StopCoreAsync();
        }

        return _stopped;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task StopCoreAsync()
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_restarts.Select(restart => restart.ContinueWith(_ => { }, TaskScheduler.Default)));
        await Task.WhenAll(_projects.Values.Select(async project =>
        {
            if (project.IsRunning)
            {
                Report(project.Name, ResourceState.Stopping, "");
            }

            // Disposed, not only stopped: the host is done with it, and its gRPC client goes too.
            await project.DisposeAsync();
            Report(project.Name, ResourceState.Stopped, "");
        }));
        foreach (var (name, kafka) in _embeddedKafka)
        {
            kafka.Dispose();
            Report(name, ResourceState.Stopped, "");
        }

        foreach (var (name, postgres) in _embeddedPostgres)
        {
            Report(name, ResourceState.Stopping, "");
            await postgres.StopAsync();
            Report(name, ResourceState.Stopped, "");
        }
    }

    /// <summary>Reads every infrastructure setting once before anything starts, so a bad one stops the start at once.</summary>
    private void CheckSettings()
    {
        foreach (var resource in _model.Resources)
        {
            _ = resource switch
            {
                PostgresServerResource server when _settings.Mode(server) == InfrastructureMode.External => _settings.ExternalConnectionString(server),
                PostgresServerResource server => _settings.DataDirectory(server) ?? "",
                KafkaResource kafka when _settings.Mode(kafka) == InfrastructureMode.External => _settings.ExternalBootstrapServers(kafka),
                _ => "",
            };
        }
    }

    private void CheckFixedPorts()
    {
        foreach (var project in _model.Projects)
        {
            if (_settings.Port(project) is { } port && !LoopbackPorts.IsFree(port))
            {
                throw new HostingException(
                    $"Port {port} for '{project.Name}' is already in use on 127.0.0.1. Stop what listens there (ss -ltnp 'sport = :{port}' shows it), " +
                    $"or choose another port with --{HostSettings.PortKey(project)}=<port> (0 for a free one).");
            }
        }

        foreach (var server in _model.Resources.OfType<PostgresServerResource>())
        {
            if (_settings.Mode(server) == InfrastructureMode.Embedded && _settings.EmbeddedPort(server) is > 0 and var port && !LoopbackPorts.IsFree(port))
            {
                throw new HostingException(
                    $"Port {port} for '{server.Name}' is already in use on 127.0.0.1. Stop what listens there (ss -ltnp 'sport = :{port}' shows it), " +
                    $"or choose another port with --{HostSettings.PortKey(server)}=<port> (0 for a free one).");
            }
        }
    }

    private async Task BuildAsync(CancellationToken cancellationToken)
    {
        var projects = _model.Projects.ToList();
        if (_settings.NoBuild)
        {
            foreach (var project in projects.Where(project => !File.Exists(ServiceProcess.BuiltAssemblyPath(project.ProjectPath))))
            {
                throw new HostingException(
                    $"The project '{project.Name}' is not built ('{ServiceProcess.BuiltAssemblyPath(project.ProjectPath)}' does not exist). " +
                    $"Start without --no-build, or build it: dotnet build {project.ProjectPath} -c {_buildConfiguration}");
            }

            return;
        }

        foreach (var project in projects)
        {
            Report(project.Name, ResourceState.Building, _buildConfiguration);
        }

        var clock = Stopwatch.StartNew();
        await ProjectBuild.RunAsync(projects, _settings.RepositoryRoot, Path.Combine(CheckoutApplicationBuilder.DefaultAppHostDirectory, "obj"), _buildConfiguration, cancellationToken);
        _host.LogInformation("Built {Count} projects ({Configuration}) in {Seconds:0.0} s", projects.Count, _buildConfiguration, clock.Elapsed.TotalSeconds);
    }

    private async Task StartPostgresAsync(PostgresServerResource server, CancellationToken cancellationToken)
    {
        if (_settings.Mode(server) == InfrastructureMode.External)
        {
            var external = _settings.ExternalConnectionString(server);
            try
            {
                _ = new NpgsqlConnectionStringBuilder(external);
            }
            catch (ArgumentException exception)
            {
                throw new HostingException($"{server.Name}:ConnectionString is not a valid PostgreSQL connection string ({exception.Message}).");
            }

            _connectionStrings[server.Name] = external;
            Report(server.Name, ResourceState.Running, $"external, {Describe(external)}");
            return;
        }

        var dataDirectory = _settings.DataDirectory(server);
        Report(server.Name, ResourceState.Starting, $"embedded, data folder {dataDirectory ?? "temporary"}");
        var postgres = await Infrastructure.EmbeddedPostgres.StartAsync(
            new EmbeddedPostgresOptions
            {
                DataDirectory = dataDirectory,
                Port = _settings.EmbeddedPort(server),
                Logger = ResourceLogger(server.Name),
            },
            cancellationToken);
        lock (_embeddedPostgres)
        {
            _embeddedPostgres[server.Name] = postgres;
        }

        _connectionStrings[server.Name] = postgres.GetConnectionString();
        Report(server.Name, ResourceState.Running, $"embedded, 127.0.0.1:{postgres.Port}, data folder {postgres.DataDirectory}");
    }

    private async Task CreateDatabaseAsync(PostgresDatabaseResource database, Task serverReady, CancellationToken cancellationToken)
    {
        await serverReady;
        var server = _connectionStrings[database.Server.Name];
        try
        {
            await PostgresDatabases.CreateIfMissingAsync(server, database.Name, ResourceLogger(database.Name), cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            throw new HostingException(
                $"The database '{database.Name}' could not be created on '{database.Server.Name}' ({Describe(server)}): {exception.Message}. " +
                $"Check that the server runs and that {database.Server.Name}:ConnectionString names a role allowed to create databases.");
        }

        _connectionStrings[database.Name] = new NpgsqlConnectionStringBuilder(server)
        {
            Database = database.Name,
            MaxPoolSize = _settings.MaxPoolSize(database.Server),
        }.ConnectionString;
        Report(database.Name, ResourceState.Running, $"on {database.Server.Name}");
    }

    private Task StartKafkaAsync(KafkaResource kafka, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_settings.Mode(kafka) == InfrastructureMode.External)
        {
            _connectionStrings[kafka.Name] = _settings.ExternalBootstrapServers(kafka);
            Report(kafka.Name, ResourceState.Running, $"external, {_connectionStrings[kafka.Name]}");
            return Task.CompletedTask;
        }

        Report(kafka.Name, ResourceState.Starting, "embedded");
        Infrastructure.EmbeddedKafka broker;
        try
        {
            broker = Infrastructure.EmbeddedKafka.Start();
        }
        catch (Exception exception) when (exception is EmbeddedInfrastructureException or DllNotFoundException)
        {
            throw new HostingException($"The embedded broker '{kafka.Name}' cannot start: {exception.Message}");
        }

        lock (_embeddedKafka)
        {
            _embeddedKafka[kafka.Name] = broker;
        }

        // The embedded broker does not serve CreateTopics: the host creates every topic (and its dead-letter topic).
        foreach (var topic in kafka.Topics)
        {
            broker.CreateTopic(topic, kafka.Partitions);
            broker.CreateTopic(Topics.DeadLetter(topic), kafka.Partitions);
        }

        _connectionStrings[kafka.Name] = broker.BootstrapServers;
        Report(kafka.Name, ResourceState.Running, $"embedded, {broker.BootstrapServers}, topics {string.Join(", ", kafka.Topics)}");
        return Task.CompletedTask;
    }

    private ServiceProcess CreateProcess(ProjectResource project)
    {
        // Filled in at start: connection strings are known once the infrastructure runs.
        var environment = _environments[project.Name] = new Dictionary<string, string?>(StringComparer.Ordinal);
        var process = new ServiceProcess(new ServiceProcessOptions
        {
            Name = project.Name,
            ProjectPath = project.ProjectPath,
            Port = _settings.Port(project) ?? 0,
            StartTimeout = _settings.StartTimeout,
            HealthProbeVersion = project.IsHttp2Service ? HttpVersion.Version20 : HttpVersion.Version11,
            StopGracePeriod = _settings.StopTimeout,
            Logger = ResourceLogger(project.Name),
            Environment = environment,
        });
        process.ExitedUnexpectedly += (_, exitCode) => _restarts.Add(RestartAsync(project, process, exitCode));
        return process;
    }

    private async Task StartProjectAsync(ProjectResource project, Task build, IEnumerable<Task> waitsFor, CancellationToken cancellationToken)
    {
        await build;
        await Task.WhenAll(waitsFor);
        var process = _projects[project.Name];
        var environment = _environments[project.Name];
        foreach (var (name, value) in EnvironmentOf(project))
        {
            environment[name] = value;
        }

        Report(project.Name, ResourceState.Starting, process.Endpoint.ToString().TrimEnd('/'));
        try
        {
            await process.StartAsync(cancellationToken);
        }
        catch (EmbeddedInfrastructureException exception)
        {
            throw new HostingException(
                $"{exception.Message}{Environment.NewLine}What to do: fix what its output shows; if it is only slow to start, allow more time with --AppHost:StartTimeout=00:02:00.");
        }

        _runs[project.Name] = new RunHistory(0, DateTime.UtcNow);
        ReportRunning(project, process);
    }

    /// <summary>The configuration an Aspire host gives a project, plus what the project's declaration adds.</summary>
    private Dictionary<string, string?> EnvironmentOf(ProjectResource project)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_ENVIRONMENT"] = _settings.EnvironmentName,
            ["DOTNET_ENVIRONMENT"] = _settings.EnvironmentName,
            // Every service of the system shares this machine's cores: with server GC each process would keep a heap
            // and a GC thread per core, and their collections would fight over the same cores. A service deployed on
            // its own (a container, say) keeps the runtime's default.
            ["DOTNET_gcServer"] = "0",
        };
        foreach (var reference in project.ConnectionReferences)
        {
            environment[$"ConnectionStrings__{reference.Name}"] = _connectionStrings[reference.Name];
            if (reference is KafkaResource kafka && _embeddedKafka.ContainsKey(kafka.Name))
            {
                foreach (var (name, value) in Infrastructure.EmbeddedKafka.ClientEnvironment)
                {
                    environment[name] = value;
                }
            }
        }

        foreach (var service in project.ServiceReferences)
        {
            environment[$"services__{service.Name}__http__0"] = _projects[service.Name].Endpoint.ToString().TrimEnd('/');
        }

        if (_settings.OtlpEndpoint is { } otlp)
        {
            environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp.ToString().TrimEnd('/');
            environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc";
            // What Aspire sets in Development so that telemetry shows up within a second.
            environment["OTEL_BSP_SCHEDULE_DELAY"] = "1000";
            environment["OTEL_BLRP_SCHEDULE_DELAY"] = "1000";
            environment["OTEL_METRIC_EXPORT_INTERVAL"] = "1000";
        }

        foreach (var (name, value) in project.Environment.Concat(_settings.Environment(project)))
        {
            environment[name] = value;
        }

        return environment;
    }

    private async Task RestartAsync(ProjectResource project, ServiceProcess process, int exitCode)
    {
        var policy = _settings.Restart;
        var history = _runs.GetValueOrDefault(project.Name) ?? new RunHistory(0, DateTime.UtcNow);
        // A run that stayed healthy long enough earns a fresh count: the backoff is for crash loops.
        var restarts = DateTime.UtcNow - history.HealthySince >= policy.ResetAfter ? 0 : history.Restarts;
        try
        {
            // A TERM sent to the whole process group (a service manager's stop) reaches the projects at the moment it
            // reaches the host. A short wait lets the host's own stop come first, so that such an exit is not reported
            // as a crash.
            await Task.Delay(TimeSpan.FromMilliseconds(250), _stopping.Token);
            Report(project.Name, ResourceState.Exited, $"exit code {exitCode.ToString(CultureInfo.InvariantCulture)}, unexpectedly");
            while (true)
            {
                restarts++;
                if (restarts > policy.MaxRestarts)
                {
                    Report(project.Name, ResourceState.Failed,
                        $"not restarted: {policy.MaxRestarts} restarts in a row did not keep it running (AppHost:Restart:MaxRestarts); see its output above");
                    return;
                }

                var delay = policy.DelayBefore(restarts);
                Report(project.Name, ResourceState.Restarting, $"in {delay.TotalSeconds:0.#} s (restart {restarts} of at most {policy.MaxRestarts})");
                await Task.Delay(delay, _stopping.Token);
                if (process.IsRunning)
                {
                    // Started meanwhile by someone else (a test driving the process directly).
                    _runs[project.Name] = new RunHistory(restarts, DateTime.UtcNow);
                    ReportRunning(project, process);
                    return;
                }

                Report(project.Name, ResourceState.Starting, process.Endpoint.ToString().TrimEnd('/'));
                try
                {
                    await process.StartAsync(_stopping.Token);
                    _runs[project.Name] = new RunHistory(restarts, DateTime.UtcNow);
                    ReportRunning(project, process);
                    return;
                }
                catch (EmbeddedInfrastructureException exception)
                {
                    Report(project.Name, ResourceState.Exited, exception.Message.Split(Environment.NewLine)[0]);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The host is stopping: no more restarts.
        }
    }

    private void ReportRunning(ProjectResource project, ServiceProcess process) =>
        Report(project.Name, ResourceState.Running,
            $"healthy, {process.Endpoint.ToString().TrimEnd('/')}{(process.ProcessId is { } pid ? $", pid {pid.ToString(CultureInfo.InvariantCulture)}" : "")}");

    private void Report(string resource, ResourceState state, string detail)
    {
        if (_states.TryGetValue(resource, out var current) && current == (state, detail))
        {
            return;
        }

        _states[resource] = (state, detail);
        _host.LogInformation("{Resource,-15} {State,-10} {Detail}", resource, state, detail);
    }

    private ILogger ResourceLogger(string name) => _loggers.CreateLogger(ResourceLogs.CategoryPrefix + name);

    /// <summary>A connection string without its password, for messages.</summary>
    private static string Describe(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Password = null };
        return $"{builder.Host}:{builder.Port.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>Cancels the others when <paramref name="task"/> fails, so a failed start ends at once.</summary>
    private static async Task Guard(Task task, CancellationTokenSource failed)
    {
        try
        {
            await task;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            await failed.CancelAsync();
            throw;
        }
    }

    private static Exception? FirstFailure(Exception exception) => exception switch
    {
        AggregateException aggregate => aggregate.InnerExceptions.Select(FirstFailure).FirstOrDefault(inner => inner is not null),
        OperationCanceledException => null,
        _ => exception,
    };

    private sealed record RunHistory(int Restarts, DateTime HealthySince);
}
