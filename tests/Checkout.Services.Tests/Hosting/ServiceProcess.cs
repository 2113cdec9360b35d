using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Checkout.Contracts.Health;
using Checkout.ServiceDefaults.Grpc;

namespace Checkout.Services.Tests.Hosting;

/// <summary>
/// A service of services/ running as its own process from its build output, on a free 127.0.0.1 port, with the
/// configuration an Aspire host would give it as environment variables. Killed (with its children) on dispose.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> output = new();

    private ServiceProcess(Process process, Uri address)
    {
        this.process = process;
        Address = address;
        Client = GrpcClient.Create(address);
    }

    public Uri Address { get; }

    /// <summary>A gRPC client of the service.</summary>
    public GrpcClient Client { get; }

    /// <summary>The last lines the service printed, for failure messages.</summary>
    public string Tail(int count = 40) => string.Join(Environment.NewLine, output.TakeLast(count));

    /// <summary>Starts services/<paramref name="name"/> (Checkout.<paramref name="name"/>.dll) and waits until it answers gRPC health checks.</summary>
    public static async Task<ServiceProcess> StartAsync(string name, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var directory = OutputDirectory(name);
        var port = FreePort();
        var startInfo = new ProcessStartInfo("dotnet", Path.Combine(directory, $"Checkout.{name}.dll"))
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        startInfo.Environment["DOTNET_ENVIRONMENT"] = "Development";
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        foreach (var (key, value) in environment)
            startInfo.Environment[key] = value;

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {name}.");
        var service = new ServiceProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, line) => service.Record(line.Data);
        process.ErrorDataReceived += (_, line) => service.Record(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await service.WaitUntilServingAsync(name, cancellationToken);
            return service;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    private void Record(string? line)
    {
        if (line is null)
            return;
        output.Enqueue(line);
        while (output.Count > 2000)
            output.TryDequeue(out _);
    }

    private async Task WaitUntilServingAsync(string name, CancellationToken cancellationToken)
    {
        var check = Method.FromDescriptor<HealthCheckRequest, HealthCheckResponse>(
            HealthReflection.Descriptor.FindService("grpc.health.v1.Health").FindMethodByName("Check"));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{name} exited with code {process.ExitCode} while starting:{Environment.NewLine}{Tail()}");
            try
            {
                await Client.UnaryAsync(check, new HealthCheckRequest(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken));
                return;
            }
            catch (RpcException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken);
            }
            catch (RpcException exception)
            {
                throw new TimeoutException($"{name} did not answer health checks within 60 s ({exception.Status.Detail}):{Environment.NewLine}{Tail()}");
            }
        }
    }

    private static string OutputDirectory(string name)
    {
        // This assembly runs from tests/Checkout.Services.Tests/bin/<Configuration>/<tfm>/: the service's output mirrors it.
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testOutput.Name;
        var configuration = testOutput.Parent!.Name;
        var root = testOutput;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Checkout.sln")))
            root = root.Parent;
        var directory = Path.Combine(root?.FullName ?? throw new DirectoryNotFoundException("Checkout.sln not found above the test output."),
            "services", name, "bin", configuration, framework);
        return File.Exists(Path.Combine(directory, $"Checkout.{name}.dll"))
            ? directory
            : throw new FileNotFoundException($"Checkout.{name}.dll is not built in {directory}.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
        process.Dispose();
    }
}
