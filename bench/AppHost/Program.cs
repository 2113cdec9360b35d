// Checkout.AppHost's start-up and the services' idle memory. Runs the AppHost as eng/run.sh does (its Release build,
// the projects built by the AppHost itself: a warm build, so the build step is an up-to-date check), once to warm up
// (it also creates the PostgreSQL data folder), then 5 measured times: launch -> "Checkout is ready" (every resource
// healthy); on the last run, each service's resident memory after 15 s idle. Then 5 runs with --no-build (the
// start-up without the build check). Writes bench/results/apphost.md.
// Run: dotnet build Checkout.AppHost -c Release && dotnet run -c Release --project bench/AppHost
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Checkout.AppHost.Hosting;
using Checkout.AppHost.Infrastructure;

const int Runs = 5;
var idle = TimeSpan.FromSeconds(15);
var root = CheckoutSystem.FindRepositoryRoot();
var appHost = Path.Combine(root, "Checkout.AppHost", "bin", "Release", "net" + Environment.Version.ToString(2), "Checkout.AppHost.dll");
if (!File.Exists(appHost))
{
    Console.Error.WriteLine($"error: {appHost} does not exist; build it first: dotnet build Checkout.AppHost -c Release");
    return 1;
}

var dataDirectory = Path.Combine(Path.GetTempPath(), $"checkout-bench-apphost-{Guid.NewGuid():N}");
try
{
    Console.WriteLine("Warm-up run (builds if needed, creates the data folder)...");
    await RunOnceAsync([], measureMemory: false);
    var warm = new List<TimeSpan>();
    IReadOnlyDictionary<string, long> memory = new Dictionary<string, long>();
    for (var run = 1; run <= Runs; run++)
    {
        var (elapsed, rss) = await RunOnceAsync([], measureMemory: run == Runs);
        warm.Add(elapsed);
        memory = rss ?? memory;
        Console.WriteLine($"  run {run}: {elapsed.TotalSeconds:0.00} s");
    }

    var noBuild = new List<TimeSpan>();
    for (var run = 1; run <= Runs; run++)
    {
        var (elapsed, _) = await RunOnceAsync(["--no-build"], measureMemory: false);
        noBuild.Add(elapsed);
        Console.WriteLine($"  run {run} (--no-build): {elapsed.TotalSeconds:0.00} s");
    }

    var report = Report(warm, noBuild, memory);
    var path = Path.Combine(root, "bench", "results", "apphost.md");
    await File.WriteAllTextAsync(path, report);
    Console.WriteLine(report);
    Console.WriteLine($"Wrote {path}");
    return 0;
}
finally
{
    if (Directory.Exists(dataDirectory))
    {
        // The cluster's files belong to the server user when the benchmark runs as root; root may delete them.
        Directory.Delete(dataDirectory, recursive: true);
    }
}

// Launches the AppHost, waits for its ready line, optionally samples each service's RSS after the idle time, then
// stops it with SIGTERM (through its owner-bound supervisor) and waits for it to finish.
async Task<(TimeSpan Elapsed, IReadOnlyDictionary<string, long>? Rss)> RunOnceAsync(string[] extra, bool measureMemory)
{
    var startInfo = OwnerBoundProcess.CreateStartInfo(
        "checkout-apphost-bench", ["dotnet", appHost, $"--Postgres:DataDirectory={dataDirectory}", .. extra],
        stopSignal: "TERM", killAfter: TimeSpan.FromSeconds(60), removeAfterExit: []);
    startInfo.WorkingDirectory = root;
    var pids = new Dictionary<string, int>(StringComparer.Ordinal);
    var output = new StringBuilder();
    var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    using var supervisor = new Process { StartInfo = startInfo };
    supervisor.OutputDataReceived += (_, line) => Read(line.Data);
    supervisor.ErrorDataReceived += (_, line) => Read(line.Data);
    var clock = Stopwatch.StartNew();
    supervisor.Start();
    supervisor.BeginOutputReadLine();
    supervisor.BeginErrorReadLine();
    var first = await Task.WhenAny(ready.Task, supervisor.WaitForExitAsync(), Task.Delay(TimeSpan.FromMinutes(3)));
    var elapsed = clock.Elapsed;
    if (first != ready.Task)
    {
        await OwnerBoundProcess.StopAsync(supervisor, TimeSpan.FromSeconds(60));
        throw new InvalidOperationException($"The AppHost did not become ready. Its output:{Environment.NewLine}{output}");
    }

    IReadOnlyDictionary<string, long>? rss = null;
    if (measureMemory)
    {
        await Task.Delay(idle);
        lock (pids)
        {
            rss = pids.ToDictionary(entry => entry.Key, entry => ResidentKilobytes(entry.Value), StringComparer.Ordinal);
        }
    }

    await OwnerBoundProcess.StopAsync(supervisor, TimeSpan.FromSeconds(90));
    return (elapsed, rss);

    void Read(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (pids)
        {
            output.AppendLine(line);
            if (Regex.Match(line, @"^apphost\s+\| (\S+)\s+Running\s+healthy, .*pid (\d+)") is { Success: true } running)
            {
                pids[running.Groups[1].Value] = int.Parse(running.Groups[2].Value, CultureInfo.InvariantCulture);
            }
        }

        if (line.StartsWith("Checkout is ready:", StringComparison.Ordinal))
        {
            ready.TrySetResult();
        }
    }
}

static long ResidentKilobytes(int pid) =>
    File.ReadLines($"/proc/{pid}/status").Where(line => line.StartsWith("VmRSS:", StringComparison.Ordinal))
        .Select(line => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture))
        .Single();

string Report(List<TimeSpan> warm, List<TimeSpan> noBuild, IReadOnlyDictionary<string, long> memory)
{
    static double Median(List<TimeSpan> values) => values.Select(value => value.TotalSeconds).Order().ElementAt(values.Count / 2);
    static string All(List<TimeSpan> values) => string.Join(", ", values.Select(value => value.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)));
    var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
    var text = new StringBuilder();
    text.AppendLine("# AppHost start-up and idle memory");
    text.AppendLine();
    text.AppendLine("Run: `dotnet build Checkout.AppHost -c Release && dotnet run -c Release --project bench/AppHost` (source: bench/AppHost/Program.cs).");
    text.AppendLine();
    text.AppendLine(CultureInfo.InvariantCulture, $"Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. Machine: {cpu}, {Environment.ProcessorCount} cores (shared: other work may run), .NET {Environment.Version}.");
    text.AppendLine();
    text.AppendLine("Start-up = from launching `dotnet Checkout.AppHost.dll` (Release, as eng/run.sh runs it after its own build) to its line " +
                    "\"Checkout is ready\": embedded PostgreSQL (existing data folder) with 5 databases, the embedded broker with its topics, " +
                    "the five services and the gateway started in dependency order, each answering /health. Median of 5 after one warm-up run.");
    text.AppendLine();
    text.AppendLine("| start-up | median s | runs s | target |");
    text.AppendLine("|---|---:|---|---|");
    text.AppendLine(CultureInfo.InvariantCulture, $"| warm build (the AppHost's `dotnet build` finds everything up to date) | {Median(warm):0.00} | {All(warm)} | < 15 s |");
    text.AppendLine(CultureInfo.InvariantCulture, $"| `--no-build` | {Median(noBuild):0.00} | {All(noBuild)} | |");
    text.AppendLine();
    text.AppendLine(CultureInfo.InvariantCulture, $"Idle memory: resident set (VmRSS) of each service process {idle.TotalSeconds:0} s after the system was ready (Development environment, workstation GC). Target: < 150 MB each.");
    text.AppendLine();
    text.AppendLine("| service | RSS MB |");
    text.AppendLine("|---|---:|");
    foreach (var (service, kilobytes) in memory.OrderBy(entry => entry.Key, StringComparer.Ordinal))
    {
        text.AppendLine(CultureInfo.InvariantCulture, $"| {service} | {kilobytes / 1024.0:0.0} |");
    }

    return text.ToString();
}
