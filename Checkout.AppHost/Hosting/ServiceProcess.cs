using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Reflection;
using Checkout.AppHost.Infrastructure;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Checkout.AppHost.Hosting;

/// <summary>Options of <see cref="ServiceProcess"/>.</summary>
public sealed record ServiceProcessOptions
{
    /// <summary>The logical name (catalog, orders...): the log prefix and OTEL_SERVICE_NAME.</summary>
    public required string Name { get; init; }

    /// <summary>The service's .csproj; the process runs its built assembly (see <see cref="ServiceProcess.BuiltAssemblyPath"/>).</summary>
    public required string ProjectPath { get; init; }

    /// <summary>The 127.0.0.1 port to listen on; 0 for a free one. Kept across restarts, so peers keep finding it.</summary>
    public int Port { get; init; }

    /// <summary>Configuration given through the environment, on top of what every service gets (null removes a variable).</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>
    /// The HTTP version of the /health probe: 2.0 is h2c with prior knowledge (the gRPC services); 1.1 for a service
    /// whose cleartext endpoint is Http1AndHttp2 (the gateway), where Kestrel speaks HTTP/2 only over TLS.
    /// </summary>
    public Version HealthProbeVersion { get; init; } = HttpVersion.Version20;

    /// <summary>How long the service may take to answer /health with 200.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the service may take to stop after SIGTERM before it is killed.</summary>
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Receives start/stop events and every line the service prints (Information, prefixed with its name).</summary>
    public ILogger? Logger { get; init; }
}

/// <summary>
/// One service run as a child process from its built assembly (<c>dotnet Checkout.X.dll</c>), with the environment
/// an Aspire host gives a project, bound to this process's lifetime (<see cref="OwnerBoundProcess"/>): it never
/// outlives its owner, even after kill -9. It can be stopped and started again on the same port.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private const int OutputCapacity = 500;
    private static readonly TimeSpan HealthProbeTimeout = TimeSpan.FromSeconds(5);

    private readonly ServiceProcessOptions _options;
    private readonly string _assemblyPath;
    private readonly ILogger _logger;
    private readonly RecentLines _output = new(OutputCapacity);
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private Process? _supervisor;
    // The run that became healthy, and the run being stopped on request: an exit of the first that is not the second is unexpected.
    private Process? _healthyRun;
    private Process? _stoppingRun;

    public ServiceProcess(ServiceProcessOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Name);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Port, nameof(options.Port));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Port, IPEndPoint.MaxPort, nameof(options.Port));
        _options = options;
        _assemblyPath = BuiltAssemblyPath(options.ProjectPath);
        _logger = options.Logger ?? NullLogger.Instance;
        Port = options.Port != 0 ? options.Port : LoopbackPorts.PickFree();
        Endpoint = new Uri($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}");
        Channel = GrpcChannel.ForAddress(Endpoint);
    }

    public string Name => _options.Name;

    public int Port { get; }

    /// <summary>http://127.0.0.1:port: h2c with prior knowledge (the services speak HTTP/2 only).</summary>
    public Uri Endpoint { get; }

    /// <summary>A gRPC channel to the service at <see cref="Endpoint"/>; it outlives restarts and is disposed with this.</summary>
    public GrpcChannel Channel { get; }

    /// <summary>
    /// The service's own process id (the supervisor's child) while it runs, for per-process measurements; null when it
    /// is not running or the platform has no /proc.
    /// </summary>
    public int? ProcessId
    {
        get
        {
            var supervisor = _supervisor;
            if (supervisor is not { HasExited: false })
            {
                return null;
            }

            var children = $"/proc/{supervisor.Id}/task/{supervisor.Id}/children";
            return File.Exists(children) && int.TryParse(File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(), out var pid)
                ? pid
                : null;
        }
    }

    /// <summary>
    /// Raised (on a thread-pool thread) with the exit code when the service exits on its own after it had become
    /// healthy: a crash, a kill, a fatal error. Not raised for a stop asked through <see cref="StopAsync"/>, nor for a
    /// start that fails (<see cref="StartAsync"/> throws then).
    /// </summary>
    public event EventHandler<int>? ExitedUnexpectedly;

    /// <summary>Whether the process is running (started and not yet exited).</summary>
    public bool IsRunning => _supervisor is { HasExited: false };

    /// <summary>The configuration the project was built with, taken from this (host) assembly: they are built together.</summary>
    public static string BuildConfiguration { get; } =
        typeof(ServiceProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>Where <paramref name="projectPath"/>'s assembly is built: bin/&lt;configuration&gt;/&lt;framework&gt;/&lt;project name&gt;.dll.</summary>
    public static string BuiltAssemblyPath(string projectPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(projectPath);
        var framework = "net" + System.Environment.Version.ToString(2);
        return Path.Combine(
            Path.GetDirectoryName(Path.GetFullPath(projectPath))!, "bin", BuildConfiguration, framework,
            Path.GetFileNameWithoutExtension(projectPath) + ".dll");
    }

    /// <summary>The last <paramref name="count"/> lines the service printed ("name | line"), oldest first, across restarts.</summary>
    public string OutputTail(int count = 40) => _output.Tail(count);

    /// <summary>Starts the service and returns once its /health answers 200; throws with its last output lines otherwise.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            if (IsRunning)
            {
                throw new InvalidOperationException($"The service '{Name}' is already running.");
            }

            if (!File.Exists(_assemblyPath))
            {
                throw new EmbeddedInfrastructureException(
                    $"The service '{Name}' is not built: '{_assemblyPath}' does not exist. Build it with 'dotnet build {_options.ProjectPath} -c {BuildConfiguration}'.");
            }

            // A run that ended on its own is over: its supervisor is replaced.
            if (_supervisor is not null)
            {
                OwnerBoundProcess.Release(_supervisor);
            }

            _supervisor = Launch();
            _logger.LogInformation("Started {Service} (pid {Pid}) on {Endpoint}", Name, _supervisor.Id, Endpoint);
            try
            {
                await WaitUntilHealthyAsync(_supervisor, cancellationToken);
                Volatile.Write(ref _healthyRun, _supervisor);
                if (_supervisor.HasExited)
                {
                    // It exited between the health answer and now: the Exited event may have found it not yet healthy.
                    OnExited(_supervisor);
                }
            }
            catch
            {
                await StopCoreAsync();
                throw;
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Stops the service (SIGTERM, then KILL after the grace period); does nothing when it is not running.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            await StopCoreAsync();
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Stops the service and releases its client; safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Channel.Dispose();
    }

    private Process Launch()
    {
        var dotnet = System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var startInfo = OwnerBoundProcess.CreateStartInfo(
            "checkout-" + Name, [dotnet, _assemblyPath], stopSignal: "TERM", killAfter: _options.StopGracePeriod, removeAfterExit: []);
        startInfo.WorkingDirectory = Path.GetDirectoryName(_assemblyPath);
        foreach (var (name, value) in BaseEnvironment().Concat(_options.Environment))
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        var supervisor = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        supervisor.Exited += (_, _) => OnExited(supervisor);
        supervisor.OutputDataReceived += (_, line) => Record(line.Data);
        supervisor.ErrorDataReceived += (_, line) => Record(line.Data);
        supervisor.Start();
        supervisor.BeginOutputReadLine();
        supervisor.BeginErrorReadLine();
        return supervisor;
    }

    // What an Aspire host sets for a project in Development, minus the dashboard's OTLP endpoint (callers add one).
    private IEnumerable<KeyValuePair<string, string?>> BaseEnvironment() =>
    [
        new("ASPNETCORE_URLS", Endpoint.ToString().TrimEnd('/')),
        new("ASPNETCORE_ENVIRONMENT", "Development"),
        new("DOTNET_ENVIRONMENT", "Development"),
        new("OTEL_SERVICE_NAME", Name),
        new("OTEL_RESOURCE_ATTRIBUTES", $"service.instance.id={Name}-{Port.ToString(CultureInfo.InvariantCulture)}"),
        // Plain single-line console logs: they are read through a pipe, with the service name in front.
        new("Logging__Console__FormatterName", "simple"),
        new("Logging__Console__FormatterOptions__SingleLine", "true"),
        new("DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION", "false"),
        new("NO_COLOR", "1"),
        // Several services share a few cores: workstation GC keeps each one's heap and GC threads small.
        new("DOTNET_gcServer", "0"),
        // A test or benchmark host's own launch settings must not leak into the service.
        new("ASPNETCORE_HOSTINGSTARTUPASSEMBLIES", null),
        new("DOTNET_STARTUP_HOOKS", null),
    ];

    private void OnExited(Process run)
    {
        // Once per run: whichever of the Exited event and StartAsync's re-check gets here first reports it.
        if (ReferenceEquals(Volatile.Read(ref _stoppingRun), run) || !ReferenceEquals(Interlocked.CompareExchange(ref _healthyRun, null, run), run))
        {
            return;
        }

        _logger.LogWarning("{Service} exited unexpectedly with code {ExitCode}", Name, run.ExitCode);
        ExitedUnexpectedly?.Invoke(this, run.ExitCode);
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Add($"{Name} | {line}");
        // The logger's category names the service (Checkout.AppHost.<name>): the line is logged as printed.
        _logger.LogInformation("{Line}", line);
    }

    private async Task WaitUntilHealthyAsync(Process supervisor, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero })
        {
            DefaultRequestVersion = _options.HealthProbeVersion,
            // http:// with exactly HTTP/2 = h2c with prior knowledge, which is all the gRPC services speak.
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = HealthProbeTimeout,
        };
        var health = new Uri(Endpoint, "/health");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.StartTimeout);
        var lastProblem = "no answer yet";
        try
        {
            while (!supervisor.HasExited)
            {
                try
                {
                    using var response = await http.GetAsync(health, deadline.Token);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        _logger.LogInformation("{Service} is healthy on {Endpoint}", Name, Endpoint);
                        return;
                    }

                    lastProblem = $"/health answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(deadline.Token)}";
                }
                catch (HttpRequestException exception)
                {
                    lastProblem = exception.Message;
                }
                catch (TaskCanceledException) when (!deadline.IsCancellationRequested)
                {
                    lastProblem = $"/health did not answer within {HealthProbeTimeout.TotalSeconds:0} s";
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EmbeddedInfrastructureException(
                $"The service '{Name}' did not become healthy on {Endpoint} within {_options.StartTimeout.TotalSeconds:0} s " +
                $"({lastProblem}). Its last output lines:{System.Environment.NewLine}{OutputTail()}");
        }

        await supervisor.WaitForExitAsync(cancellationToken);
        throw new EmbeddedInfrastructureException(
            $"The service '{Name}' exited with code {supervisor.ExitCode} before it became healthy. " +
            $"Its last output lines:{System.Environment.NewLine}{OutputTail()}");
    }

    private async Task StopCoreAsync()
    {
        if (_supervisor is null)
        {
            return;
        }

        Volatile.Write(ref _stoppingRun, _supervisor);
        // The supervisor kills the service after the grace period; our own bound is a backstop above that.
        var stopped = _supervisor.HasExited || await OwnerBoundProcess.StopAsync(_supervisor, _options.StopGracePeriod + TimeSpan.FromSeconds(5));
        _logger.LogInformation(
            stopped ? "Stopped {Service} (exit code {ExitCode})" : "Killed {Service}: its supervisor did not stop in time (exit code {ExitCode})",
            Name, _supervisor.ExitCode);
        OwnerBoundProcess.Release(_supervisor);
        _supervisor = null;
    }
}
