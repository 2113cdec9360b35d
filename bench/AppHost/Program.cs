// Checkout.AppHost's start-up and the memory of the whole running system.
//
// Start-up: `dotnet run --project Checkout.AppHost -c Release` as the README runs it, warm (built and up to date, so
// dotnet run's build step is an up-to-date check; the PostgreSQL data folder exists), from launch to the gateway's
// "ready" line, which the app host prints once the gateway is healthy, and the gateway waits for every other resource
// to be healthy. One warm-up run, then Runs measured runs; the median is reported (target: under 20 s). The same with
// the built executable (what dotnet run starts after its build check) shows what the build check costs.
//
// Memory: on the last run, IdleSeconds after ready, the resident (RSS) and proportional (PSS: shared pages divided among
// the processes sharing them, so PSS adds up) set size of every process of the system, grouped: the app host (with the
// embedded broker inside it), DCP's processes, the dashboard, PostgreSQL, and each service (its own process and the
// `dotnet run` DCP starts it through).
//
// Run: dotnet build bench/AppHost -c Release && dotnet run -c Release --no-build --project bench/AppHost [runs]
// Writes bench/results/apphost.md.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Checkout.Testing.AppHost;

var runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var idle = TimeSpan.FromSeconds(15);
var readyTimeout = TimeSpan.FromMinutes(5);
var loadBefore = LoadAverage();
var data = Path.Combine(Path.GetTempPath(), $"checkout-bench-apphost-{Guid.NewGuid():N}");
try
{
    Console.WriteLine("Warm-up run (dotnet run's build check, the PostgreSQL data folder)...");
    await StartAsync(dotnetRun: true, measureMemory: false);
    var dotnetRun = new List<double>();
    IReadOnlyList<SystemPart> memory = [];
    for (var run = 1; run <= runs; run++)
    {
        var (seconds, rows) = await StartAsync(dotnetRun: true, measureMemory: run == runs);
        dotnetRun.Add(seconds);
        memory = rows ?? memory;
        Console.WriteLine($"  dotnet run, run {run}: {seconds:0.00} s");
    }

    var executable = new List<double>();
    for (var run = 1; run <= runs; run++)
    {
        var (seconds, _) = await StartAsync(dotnetRun: false, measureMemory: false);
        executable.Add(seconds);
        Console.WriteLine($"  executable, run {run}: {seconds:0.00} s");
    }

    var report = Report(dotnetRun, executable, memory, loadBefore, LoadAverage());
    var path = Path.Combine(AppHostProcess.RepositoryRoot, "bench", "results", "apphost.md");
    await File.WriteAllTextAsync(path, report);
    Console.WriteLine(report);
    Console.WriteLine($"Wrote {path}");
    return 0;
}
finally
{
    if (Directory.Exists(data))
        Directory.Delete(data, recursive: true);
}

// One start: launch -> the gateway's ready line; optionally the memory after the idle time; then SIGTERM and the wait
// until DCP has removed every process (AppHostProcess's disposal), so that runs do not overlap.
async Task<(double Seconds, IReadOnlyList<SystemPart>? Memory)> StartAsync(bool dotnetRun, bool measureMemory)
{
    string[] arguments = [$"--Postgres:DataDirectory={data}"];
    var clock = Stopwatch.StartNew();
    await using var host = dotnetRun ? AppHostProcess.StartWithDotnetRun(arguments) : AppHostProcess.Start(arguments);
    await host.WaitUntilReadyAsync(readyTimeout);
    var seconds = clock.Elapsed.TotalSeconds;
    IReadOnlyList<SystemPart>? memory = null;
    if (measureMemory)
    {
        await Task.Delay(idle);
        memory = Measure(host.RememberSystem(), host.AppHostPid ?? host.Pid);
    }

    host.Terminate();
    if (!await host.WaitForExitAsync(TimeSpan.FromMinutes(1)))
        Console.Error.WriteLine("warning: the app host did not exit within a minute of SIGTERM; it is killed.");
    return (seconds, memory);
}

// Groups the system's processes and sums their RSS and PSS (kB, from /proc).
static IReadOnlyList<SystemPart> Measure(IReadOnlyList<ProcessTable.Entry> system, int appHostPid)
{
    var groups = new SortedDictionary<string, List<ProcessTable.Entry>>(StringComparer.Ordinal);
    foreach (var entry in system)
    {
        var group = Group(entry, appHostPid);
        if (!groups.TryGetValue(group, out var members))
            groups[group] = members = [];
        members.Add(entry);
    }

    return [.. groups.Select(group => new SystemPart(
        group.Key, group.Value.Count,
        group.Value.Sum(entry => Kilobytes($"/proc/{entry.Pid}/status", "VmRSS:")),
        group.Value.Sum(entry => Kilobytes($"/proc/{entry.Pid}/smaps_rollup", "Pss:")),
        group.Value.Sum(entry => CpuSeconds(entry.Pid))))];
}

static string Group(ProcessTable.Entry entry, int appHostPid)
{
    var command = entry.CommandLine;
    if (entry.Pid == appHostPid)
        return "app host (with the embedded broker)";
    if (command.Contains("/Aspire.Dashboard", StringComparison.Ordinal))
        return "dashboard";
    if (command.Contains("/dcp ", StringComparison.Ordinal))
        return command.Contains(" monitor-process ", StringComparison.Ordinal) ? "DCP process monitors" : "DCP (API server, controllers)";
    if (command.StartsWith("dotnet run", StringComparison.Ordinal) || command.Contains("dotnet run ", StringComparison.Ordinal))
    {
        var project = command.Split(' ').FirstOrDefault(part => part.EndsWith(".csproj", StringComparison.Ordinal));
        return project is null ? "dotnet run (of the app host)" : $"{Path.GetFileNameWithoutExtension(project)[9..].ToLowerInvariant()}: dotnet run wrapper";
    }

    if (command.Contains("postgres", StringComparison.Ordinal) || command.StartsWith("bash -c trap", StringComparison.Ordinal))
        return "PostgreSQL (server, its workers and sessions)";
    var program = command.Split(' ')[0];
    var name = Path.GetFileName(program);
    return name.StartsWith("Checkout.", StringComparison.Ordinal) ? $"{name[9..].ToLowerInvariant()}: service" : $"other: {name}";
}

static long Kilobytes(string file, string field)
{
    try
    {
        var line = File.ReadLines(file).FirstOrDefault(line => line.StartsWith(field, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
    catch (IOException)
    {
        return 0; // gone meanwhile
    }
}

// utime + stime of /proc/<pid>/stat, in clock ticks of 1/100 s (fields 14 and 15, counted after the command's
// parenthesis, which may hold spaces).
static double CpuSeconds(int pid)
{
    try
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
    catch (IOException)
    {
        return 0; // gone meanwhile
    }
}

static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

static string Report(List<double> dotnetRun, List<double> executable, IReadOnlyList<SystemPart> memory, string loadBefore, string loadAfter)
{
    static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
    static string All(List<double> values) => string.Join(", ", values.Select(value => value.ToString("0.0", CultureInfo.InvariantCulture)));
    var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
    var memoryTotal = File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
    var text = new StringBuilder();
    text.AppendLine("# AppHost start-up and memory");
    text.AppendLine();
    text.AppendLine("Run: `dotnet build bench/AppHost -c Release && dotnet run -c Release --no-build --project bench/AppHost` (source: bench/AppHost/Program.cs).");
    text.AppendLine();
    text.AppendLine(CultureInfo.InvariantCulture, $"Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. Machine: {cpu}, {Environment.ProcessorCount} cores, {long.Parse(memoryTotal, CultureInfo.InvariantCulture) / 1024 / 1024} GiB, shared with other work; .NET {Environment.Version}, Aspire 13.6.5.");
    text.AppendLine(CultureInfo.InvariantCulture, $"Load average (1, 5, 15 min): {loadBefore} before, {loadAfter} after. On 2 cores a load above 2 means other work was waiting for the CPU too: the times below are then upper bounds.");
    text.AppendLine();
    text.AppendLine("## Start-up: launch to every resource healthy");
    text.AppendLine();
    text.AppendLine("From launch to the app host's \"The gateway is ready\" line (the gateway waits for every other resource to be healthy, and is healthy itself). Warm: the build is up to date and the PostgreSQL data folder exists. Target: under 20 s.");
    text.AppendLine();
    text.AppendLine("| how | median s | runs s |");
    text.AppendLine("|---|---:|---|");
    text.AppendLine(CultureInfo.InvariantCulture, $"| `dotnet run --project Checkout.AppHost -c Release` | {Median(dotnetRun):0.0} | {All(dotnetRun)} |");
    text.AppendLine(CultureInfo.InvariantCulture, $"| the built executable (no build check) | {Median(executable):0.0} | {All(executable)} |");
    text.AppendLine();
    text.AppendLine(CultureInfo.InvariantCulture, $"Target (warm `dotnet run` under 20 s): {(Median(dotnetRun) < 20 ? "met" : "not met")}.");
    text.AppendLine();
    text.AppendLine("## Memory of the running system");
    text.AppendLine();
    text.AppendLine("15 s after ready, idle (Development environment, workstation GC). RSS counts shared pages in every process; PSS divides them among the processes sharing them, so the PSS total is the system's real footprint. CPU: the time each part used since it started, nearly all of it the start-up (2 cores give 2 CPU-seconds per second).");
    text.AppendLine();
    text.AppendLine("| part | processes | RSS MB | PSS MB | CPU s |");
    text.AppendLine("|---|---:|---:|---:|---:|");
    foreach (var row in memory)
        text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Part} | {row.Processes} | {row.RssKilobytes / 1024.0:0.0} | {row.PssKilobytes / 1024.0:0.0} | {row.CpuSeconds:0.0} |");
    text.AppendLine(CultureInfo.InvariantCulture, $"| **total** | {memory.Sum(row => row.Processes)} | {memory.Sum(row => row.RssKilobytes) / 1024.0:0.0} | {memory.Sum(row => row.PssKilobytes) / 1024.0:0.0} | {memory.Sum(row => row.CpuSeconds):0.0} |");
    return text.ToString();
}
