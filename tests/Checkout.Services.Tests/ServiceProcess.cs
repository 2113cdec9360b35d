using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Checkout.Contracts.Health;
using Checkout.ServiceDefaults.Grpc;

namespace Checkout.Services.Tests;

/// <summary>
/// A service's built program (services/&lt;Name&gt;/bin/...) running as a child process on a free 127.0.0.1 port,
/// configured the way an Aspire host does it (ASPNETCORE_URLS, ConnectionStrings__*), ready once its gRPC health
/// check answers SERVING. It runs under a small shell supervisor whose standard input is a pipe from this process:
/// whatever ends the test run (dispose, a crash, kill -9), the pipe closes and the supervisor stops the service.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);
    private const int PortAttempts = 3;

    // The service runs in the background; a watcher reads the owner's pipe (fd 3) and sends SIGTERM at end-of-file.
    private const string SupervisorScript = """
        exec 3<&0
        "$@" 3<&- </dev/null &
        service=$!
        { cat <&3; kill -TERM "$service"; } >/dev/null 2>&1 &
        watcher=$!
        exec 3<&- </dev/null
        wait "$service"; status=$?
        kill -KILL "$watcher" 2>/dev/null
        exit $status
        """;

    private readonly Process _supervisor;
    private readonly ConcurrentQueue<string> _output;

    private ServiceProcess(string name, Process supervisor, ConcurrentQueue<string> output, Uri address)
    {
        Name = name;
        _supervisor = supervisor;
        _output = output;
        Address = address;
        Client = GrpcClient.Create(address);
    }

    public string Name { get; }
    public Uri Address { get; }
    public GrpcClient Client { get; }

    /// <summary>Everything the service printed so far (its console log), for assertions and failure messages.</summary>
    public IReadOnlyCollection<string> Output => _output;

    /// <summary>Starts services/<paramref name="name"/> with <paramref name="environment"/> and waits until it serves.</summary>
    public static async Task<ServiceProcess> StartAsync(string name, IReadOnlyDictionary<string, string> environment)
    {
        var program = ProgramPath(name);
        for (var attempt = 1; ; attempt++)
        {
            var port = PickFreePort();
            var output = new ConcurrentQueue<string>();
            var supervisor = Start(program, port, environment, output);
            var service = new ServiceProcess(name, supervisor, output, new Uri($"http://127.0.0.1:{port}"));
            try
            {
                await service.WaitUntilServingAsync();
                return service;
            }
            catch (Exception) when (attempt < PortAttempts && service.Output.Any(line => line.Contains("address already in use", StringComparison.OrdinalIgnoreCase)))
            {
                // Another process took the free port before the service bound it: try another.
                await service.DisposeAsync();
            }
            catch
            {
                await service.DisposeAsync();
                throw;
            }
        }
    }

    public string LogTail(int lines = 40) => string.Join(Environment.NewLine, _output.TakeLast(lines));

    private static Process Start(string program, int port, IReadOnlyDictionary<string, string> environment, ConcurrentQueue<string> output)
    {
        var startInfo = new ProcessStartInfo("sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(program)!,
        };
        foreach (var argument in new[] { "-c", SupervisorScript, "supervisor", "dotnet", program })
            startInfo.ArgumentList.Add(argument);
        startInfo.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        startInfo.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
            startInfo.Environment[key] = value;

        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, line) => { if (line.Data is not null) output.Enqueue(line.Data); };
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) output.Enqueue(line.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task WaitUntilServingAsync()
    {
        var check = Method.FromDescriptor<HealthCheckRequest, HealthCheckResponse>(
            HealthReflection.Descriptor.FindService("grpc.health.v1.Health").FindMethodByName("Check"));
        var deadline = DateTime.UtcNow + StartTimeout;
        string lastProblem = "no answer yet";
        while (DateTime.UtcNow < deadline)
        {
            if (_supervisor.HasExited)
                throw new InvalidOperationException($"{Name} exited with code {_supervisor.ExitCode} while starting:{Environment.NewLine}{LogTail()}");
            try
            {
                var response = await Client.UnaryAsync(check, new HealthCheckRequest(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(5)));
                if (response.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                    return;
                lastProblem = response.Status.ToString();
            }
            catch (RpcException exception)
            {
                lastProblem = exception.Status.Detail;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{Name} did not serve within {StartTimeout} ({lastProblem}):{Environment.NewLine}{LogTail()}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_supervisor.HasExited)
        {
            // End-of-file on the supervisor's pipe: the service gets SIGTERM and shuts down gracefully.
            _supervisor.StandardInput.Close();
            using var timeout = new CancellationTokenSource(StopTimeout);
            try
            {
                await _supervisor.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _supervisor.Kill(entireProcessTree: true);
                await _supervisor.WaitForExitAsync();
            }
        }
        _supervisor.Dispose();
    }

    /// <summary>services/&lt;Name&gt;/bin/&lt;Configuration&gt;/&lt;tfm&gt;/Checkout.&lt;Name&gt;.dll, built by the test project's reference.</summary>
    private static string ProgramPath(string name)
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = typeof(ServiceProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var repository = testOutput;
        while (repository is not null && !File.Exists(Path.Combine(repository.FullName, "Checkout.sln")))
            repository = repository.Parent;
        if (repository is null)
            throw new InvalidOperationException($"No Checkout.sln above {testOutput.FullName}.");
        var program = Path.Combine(repository.FullName, "services", name, "bin", configuration, testOutput.Name, $"Checkout.{name}.dll");
        return File.Exists(program)
            ? program
            : throw new FileNotFoundException($"The {name} service is not built at {program}: build the test project (it references the service).");
    }

    private static int PickFreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
