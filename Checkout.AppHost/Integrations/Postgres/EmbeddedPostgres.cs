using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Checkout.AppHost.Integrations.Postgres;

/// <summary>Options of <see cref="EmbeddedPostgres"/>.</summary>
public sealed record EmbeddedPostgresOptions
{
    /// <summary>The cluster's data folder; null for a fresh temporary folder that is deleted when the server stops.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Whether a given <see cref="DataDirectory"/> survives the stop (like a data volume); ignored for the temporary folder.</summary>
    public bool KeepDataDirectory { get; init; } = true;

    /// <summary>The 127.0.0.1 port to listen on; 0 for a free one.</summary>
    public int Port { get; init; }

    /// <summary>Receives start/stop events, and the server's own log lines at Debug level.</summary>
    public ILogger? Logger { get; init; }
}

/// <summary>
/// A private PostgreSQL cluster run from the machine's server binaries, listening on 127.0.0.1 only, whose lifetime
/// is bound to the process that started it.
/// </summary>
/// <remarks>
/// postgres runs under an <see cref="OwnerBoundProcess"/> supervisor: whatever ends this process (dispose, Ctrl+C,
/// SIGTERM, a crash, kill -9), postgres gets SIGINT (a fast shutdown) and the temporary folders are removed after it.
/// pg_ctl is not used: it daemonizes the server, which would then outlive a crashed owner.
/// </remarks>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    private const string ServerUser = EmbeddedPostgresResource.SuperUser;
    private const int PortAttempts = 3;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _supervisor;
    private readonly string _instanceDirectory;
    private readonly ILogger _logger;
    private readonly Lock _stopGate = new();
    private Task? _stopping;

    private EmbeddedPostgres(Process supervisor, string instanceDirectory, string dataDirectory, int port, ILogger logger)
    {
        _supervisor = supervisor;
        _instanceDirectory = instanceDirectory;
        DataDirectory = dataDirectory;
        Port = port;
        _logger = logger;
    }

    /// <summary>The 127.0.0.1 port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The cluster's data folder.</summary>
    public string DataDirectory { get; }

    /// <summary>
    /// Starts a cluster: creates it (initdb) when the data folder is absent or empty, reuses the cluster a data folder
    /// already holds, and returns once the server accepts connections.
    /// </summary>
    public static async Task<EmbeddedPostgres> StartAsync(EmbeddedPostgresOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EmbeddedPostgresOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Port, nameof(options.Port));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Port, IPEndPoint.MaxPort, nameof(options.Port));
        var logger = options.Logger ?? NullLogger.Instance;
        var binaries = PostgresBinaries.Locate();
        var account = await ServerAccount.ResolveAsync(cancellationToken);

        for (var attempt = 1; ; attempt++)
        {
            var port = options.Port != 0 ? options.Port : LoopbackPorts.PickFree();
            if (options.Port != 0 && !LoopbackPorts.IsFree(port))
            {
                throw PortInUse(port);
            }

            var server = await StartOnceAsync(options, binaries, account, port, logger, cancellationToken);
            if (server is not null)
            {
                return server;
            }

            // Another process took the free port between our probe and the server's bind.
            if (options.Port != 0 || attempt == PortAttempts)
            {
                throw PortInUse(port);
            }

            logger.LogInformation("Port {Port} was taken before PostgreSQL could bind it; trying another", port);
        }
    }

    /// <summary>An Npgsql connection string to <paramref name="database"/> as the superuser 'postgres'.</summary>
    public string GetConnectionString(string database = "postgres")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        return new NpgsqlConnectionStringBuilder
        {
            Host = IPAddress.Loopback.ToString(),
            Port = Port,
            Username = ServerUser,
            Database = database,
        }.ConnectionString;
    }

    /// <summary>Creates database <paramref name="name"/> unless it exists; safe to call concurrently.</summary>
    public Task CreateDatabaseAsync(string name, CancellationToken cancellationToken = default) =>
        PostgresDatabases.CreateIfMissingAsync(GetConnectionString(), name, _logger, cancellationToken);

    /// <summary>Stops the server (fast shutdown: open sessions are ended) and removes the temporary folders; idempotent.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_stopGate)
        {
            _stopping ??= StopCoreAsync();
        }

        return _stopping.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task StopCoreAsync()
    {
        _logger.LogInformation("Stopping PostgreSQL on 127.0.0.1:{Port}", Port);
        await StopSupervisorAsync(_supervisor, _instanceDirectory, _logger);
    }

    private static async Task<EmbeddedPostgres?> StartOnceAsync(
        EmbeddedPostgresOptions options, string binaries, ServerAccount account, int port, ILogger logger, CancellationToken cancellationToken)
    {
        // Private per server: the unix socket and its lock file, and the data of a temporary cluster.
        var instanceDirectory = Path.Combine(Path.GetTempPath(), $"checkout-pg-{Guid.NewGuid():N}"[..24]);
        PostgresDataFolder.CreatePrivateDirectory(instanceDirectory);
        Process? supervisor = null;
        try
        {
            var dataDirectory = options.DataDirectory is null
                ? Path.Combine(instanceDirectory, "data")
                : Path.GetFullPath(options.DataDirectory);
            var removeData = options.DataDirectory is not null && !options.KeepDataDirectory ? dataDirectory : "";
            await PostgresDataFolder.PrepareAsync(dataDirectory, logger, cancellationToken);
            await account.GrantAsync([instanceDirectory], cancellationToken);

            var log = new ServerLog(logger, port);
            supervisor = StartSupervisor(binaries, account, instanceDirectory, dataDirectory, removeData, port, log);
            logger.LogInformation("Starting PostgreSQL on 127.0.0.1:{Port} with data folder {DataDirectory}", port, dataDirectory);
            if (await WaitUntilAcceptingAsync(supervisor, port, log, cancellationToken))
            {
                return new EmbeddedPostgres(supervisor, instanceDirectory, dataDirectory, port, logger);
            }

            await supervisor.WaitForExitAsync(cancellationToken);
            if (log.Contains("Address already in use"))
            {
                await StopSupervisorAsync(supervisor, instanceDirectory, logger);
                return null;
            }

            throw new EmbeddedInfrastructureException(
                $"PostgreSQL could not start on 127.0.0.1:{port} with data folder '{dataDirectory}' (exit code {supervisor.ExitCode}). " +
                $"Its last log lines:{Environment.NewLine}{log.Tail()}");
        }
        catch
        {
            if (supervisor is not null)
            {
                await StopSupervisorAsync(supervisor, instanceDirectory, logger);
            }
            else
            {
                Directory.Delete(instanceDirectory, recursive: true);
            }

            throw;
        }
    }

    private static Process StartSupervisor(
        string binaries, ServerAccount account, string instanceDirectory, string dataDirectory, string removeData, int port, ServerLog log)
    {
        var server = account.CommandLineAsServer(
            Path.Combine(binaries, "postgres"),
            ["-D", dataDirectory, "-p", port.ToString(CultureInfo.InvariantCulture), "-k", instanceDirectory,
             "-c", "listen_addresses=127.0.0.1",
             // Autovacuum visits each database every few seconds rather than every minute: the services' outboxes are
             // queue tables whose dead rows slow their dispatchers until vacuumed (see messaging_0002_outbox_vacuum.sql).
             "-c", "autovacuum_naptime=5"]);
        // Waits for postgres however long its fast shutdown takes: killing it could leave the data folder damaged.
        var startInfo = OwnerBoundProcess.CreateStartInfo(
            "checkout-postgres", [.. server], stopSignal: "INT", killAfter: TimeSpan.Zero,
            removeAfterExit: removeData.Length == 0 ? [instanceDirectory] : [instanceDirectory, removeData]);
        startInfo.WorkingDirectory = "/";
        var supervisor = new Process { StartInfo = startInfo };
        supervisor.OutputDataReceived += (_, line) => log.Add(line.Data);
        supervisor.ErrorDataReceived += (_, line) => log.Add(line.Data);
        supervisor.Start();
        supervisor.BeginOutputReadLine();
        supervisor.BeginErrorReadLine();
        return supervisor;
    }

    /// <summary>Polls until the server accepts a connection (true) or exits (false); bounded by <see cref="StartTimeout"/>.</summary>
    private static async Task<bool> WaitUntilAcceptingAsync(Process supervisor, int port, ServerLog log, CancellationToken cancellationToken)
    {
        var probe = new NpgsqlConnectionStringBuilder
        {
            Host = IPAddress.Loopback.ToString(),
            Port = port,
            Username = ServerUser,
            Database = "postgres",
            Pooling = false,
            Timeout = 5,
        }.ConnectionString;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(StartTimeout);
        try
        {
            while (!supervisor.HasExited)
            {
                try
                {
                    await using var connection = new NpgsqlConnection(probe);
                    await connection.OpenAsync(deadline.Token);
                    return true;
                }
                catch (NpgsqlException)
                {
                    // Not accepting yet: the port is not bound, or the server answers 'the database system is starting up'.
                }

                await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
            }

            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EmbeddedInfrastructureException(
                $"PostgreSQL did not accept connections on 127.0.0.1:{port} within {StartTimeout.TotalSeconds:0} s. " +
                $"Its last log lines:{Environment.NewLine}{log.Tail()}");
        }
    }

    private static async Task StopSupervisorAsync(Process supervisor, string instanceDirectory, ILogger logger)
    {
        if (!await OwnerBoundProcess.StopAsync(supervisor, StopTimeout))
        {
            logger.LogWarning("PostgreSQL did not stop within {Seconds} s; it was killed", StopTimeout.TotalSeconds);
        }

        supervisor.Dispose();
        if (Directory.Exists(instanceDirectory))
        {
            Directory.Delete(instanceDirectory, recursive: true);
        }
    }

    private static EmbeddedInfrastructureException PortInUse(int port) =>
        new($"Port {port} on 127.0.0.1 is already in use; choose another port for PostgreSQL, or 0 for a free one.");

    /// <summary>The server's recent output, kept (bounded) to explain a failed start, and forwarded to the logger.</summary>
    private sealed class ServerLog(ILogger logger, int port)
    {
        private readonly RecentLines _lines = new(200);

        public void Add(string? line)
        {
            if (line is null)
            {
                return;
            }

            _lines.Add(line);
            logger.LogDebug("postgres 127.0.0.1:{Port}: {Line}", port, line);
        }

        public bool Contains(string text) => _lines.Contains(text);

        public string Tail(int count = 20) => _lines.Tail(count);
    }
}
