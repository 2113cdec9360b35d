using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Checkout.AppHost.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Checkout.AppHost.Hosting;

/// <summary>
/// The application Program.cs declares, and the host that runs it (in the style of Aspire's DistributedApplication):
/// <see cref="Run"/> starts every resource, prints each one's state as it changes and then the addresses, and on
/// Ctrl+C or SIGTERM stops everything and exits. A failure to start prints one message and exits with code 1.
/// </summary>
public sealed class CheckoutApplication
{
    private const string GatewayName = "gateway";

    // Set while tests capture the model of Program.cs (see FromProgram): Build() hands the application over instead of running it.
    private static readonly AsyncLocal<StrongBox<CheckoutApplication?>?> s_capture = new();

    private CheckoutApplication(ApplicationModel model, HostSettings settings)
    {
        Model = model;
        Settings = settings;
    }

    public ApplicationModel Model { get; }

    /// <summary>Every resource's console output, bounded, while <see cref="Run"/> runs (for the dashboard to come).</summary>
    public ResourceLogs Logs { get; } = new(Console.Out);

    internal HostSettings Settings { get; }

    /// <summary>The configuration the projects are built and run in: the host's own (they are built together).</summary>
    public static string BuildConfiguration => ServiceProcess.BuildConfiguration;

    public static CheckoutApplicationBuilder CreateBuilder(string[] args) => new(args);

    internal static CheckoutApplication Built(ApplicationModel model, HostSettings settings)
    {
        var application = new CheckoutApplication(model, settings);
        if (s_capture.Value is { } capture)
        {
            capture.Value = application;
            throw new ModelCapturedException();
        }

        return application;
    }

    /// <summary>
    /// Runs Program.cs with <paramref name="args"/> up to its Build() and returns the application it declared, without
    /// running it: tests and benchmarks start the very model the AppHost runs (as Aspire.Hosting.Testing does).
    /// </summary>
    public static CheckoutApplication FromProgram(params string[] args)
    {
        var entryPoint = typeof(CheckoutApplication).Assembly.EntryPoint
            ?? throw new InvalidOperationException("Checkout.AppHost has no entry point.");
        var capture = new StrongBox<CheckoutApplication?>();
        s_capture.Value = capture;
        try
        {
            entryPoint.Invoke(null, [args]);
        }
        catch (TargetInvocationException exception) when (exception.InnerException is ModelCapturedException)
        {
            // Build() was reached: the model is in the box.
        }
        finally
        {
            s_capture.Value = null;
        }

        return capture.Value ?? throw new InvalidOperationException("Program.cs returned without calling Build().");
    }

    /// <summary>Runs the application until Ctrl+C or SIGTERM; sets the process exit code (0, or 1 when it could not start).</summary>
    public void Run() => Environment.ExitCode = RunAsync().GetAwaiter().GetResult();

    /// <summary>Runs the application until Ctrl+C, SIGTERM or <paramref name="cancellationToken"/>; returns the exit code.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken = default)
    {
        using var shutdown = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, RequestShutdown);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, RequestShutdown);
        using var loggers = LoggerFactory.Create(logging => logging.ClearProviders().AddProvider(Logs).SetMinimumLevel(LogLevel.Debug));
        Logs.AlignOn(Model.Resources.Select(resource => resource.Name).Append("apphost"));
        var clock = Stopwatch.StartNew();
        await using var orchestrator = new Orchestrator(Model, Settings, loggers, BuildConfiguration);
        try
        {
            await orchestrator.StartAsync(shutdown.Token);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            Console.WriteLine("Stopped before every resource was running.");
            return 0;
        }
        catch (Exception exception) when (exception is HostingException or EmbeddedInfrastructureException)
        {
            await Console.Error.WriteLineAsync($"error: {exception.Message}");
            return 1;
        }

        Console.WriteLine(ReadyMessage(orchestrator, clock.Elapsed));
        try
        {
            await Task.Delay(Timeout.Infinite, shutdown.Token);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C, SIGTERM or the caller: stop.
        }

        Console.WriteLine("Stopping...");
        await orchestrator.StopAsync();
        Console.WriteLine("Stopped.");
        return 0;

        void RequestShutdown(PosixSignalContext context)
        {
            // Handled here: the host stops its resources in order, then returns from Run.
            context.Cancel = true;
            shutdown.Cancel();
        }
    }

    /// <summary>Starts every resource; the caller owns the returned orchestrator (dispose it to stop everything).</summary>
    internal async Task<Orchestrator> StartAsync(ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var orchestrator = new Orchestrator(Model, Settings, loggers, BuildConfiguration);
        await orchestrator.StartAsync(cancellationToken);
        return orchestrator;
    }

    private string ReadyMessage(Orchestrator orchestrator, TimeSpan elapsed)
    {
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine($"Checkout is ready: {Model.Resources.Count} resources running in {elapsed.TotalSeconds:0.0} s.");
        var width = Model.Resources.Max(resource => resource.Name.Length) + 2;
        foreach (var project in Model.Projects)
        {
            var kind = project.IsHttp2Service ? "gRPC over h2c" : "HTTP";
            text.AppendLine($"  {project.Name.PadRight(width)}{orchestrator.Project(project.Name).Endpoint.ToString().TrimEnd('/')}  ({kind}; /health, /alive)");
        }

        foreach (var resource in Model.Resources.Where(resource => resource is not ProjectResource and not PostgresDatabaseResource))
        {
            text.AppendLine($"  {resource.Name.PadRight(width)}{orchestrator.States[resource.Name].Detail}");
        }

        text.AppendLine();
        text.Append(TryItMessage(orchestrator));
        text.AppendLine("Press Ctrl+C to stop.");
        return text.ToString();
    }

    private string TryItMessage(Orchestrator orchestrator)
    {
        if (!Model.Projects.Any(project => project.Name == GatewayName))
        {
            return "";
        }

        var gateway = orchestrator.Project(GatewayName).Endpoint.ToString().TrimEnd('/');
        var text = new StringBuilder();
        text.AppendLine($"Gateway: {gateway}");
        if (Settings.EnvironmentName == "Development")
        {
            // The gateway's Development-only token endpoint stands in for an identity provider.
            text.AppendLine("Try it (paste into a shell):");
            text.AppendLine($$"""  TOKEN=$(curl -s -X POST {{gateway}}/dev/token -H 'Content-Type: application/json' -d '{"customerId":"alice"}' | sed -E 's/.*"accessToken":"([^"]+)".*/\1/')""");
            text.AppendLine($"  curl -s {gateway}/api/products");
            text.AppendLine($$"""  curl -s -i -X POST {{gateway}}/api/orders -H "Authorization: Bearer $TOKEN" -H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" -H 'Content-Type: application/json' -d '{"lines":[{"sku":"SKU-1001","quantity":1}],"paymentToken":"tok_visa"}'""");
            text.AppendLine($"  curl -s {gateway}/api/orders -H \"Authorization: Bearer $TOKEN\"");
        }

        return text.ToString();
    }

    private sealed class ModelCapturedException() : Exception("Program.cs reached Build(); its model was captured.");
}
