using System.Globalization;
using Checkout.Testing.AppHost;

namespace Checkout.Bench.Saga;

/// <summary>
/// CPU time (user + system, from /proc) of this process (the load generator and the embedded broker), each service,
/// the PostgreSQL cluster (its postmaster and every backend), and Aspire's orchestrator (DCP: its API server,
/// controllers and the proxies in front of the services' endpoints, and the `dotnet run` wrapper of each project).
/// </summary>
internal sealed record CpuSample(IReadOnlyDictionary<string, double> Seconds)
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public static CpuSample Take(string postgresDataDirectory, string repositoryRoot)
    {
        var processes = Directory.EnumerateDirectories("/proc").Select(Path.GetFileName)
            .Select(name => int.TryParse(name, out var pid) ? pid : 0).Where(pid => pid > 0)
            .Select(pid => (Pid: pid, Stat: Stat(pid), CommandLine: CommandLine(pid)))
            .Where(process => process.Stat is not null)
            .ToList();
        var seconds = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["benchmark (load, Kafka broker)"] = processes.Where(p => p.Pid == Environment.ProcessId).Sum(p => CpuSeconds(p.Stat!)),
        };
        var services = Path.Combine(repositoryRoot, "services") + "/";
        foreach (var process in processes)
        {
            // A service runs its own executable: <repository>/services/<Name>/bin/<Configuration>/net10.0/Checkout.<Name>.
            if (process.CommandLine.FirstOrDefault() is { } program && program.StartsWith(services, StringComparison.Ordinal))
                seconds[program[services.Length..].Split('/')[0].ToLowerInvariant()] = CpuSeconds(process.Stat!);
        }

        var postmaster = processes.FirstOrDefault(p => p.Stat![0] == "postgres" && p.CommandLine.Contains(postgresDataDirectory));
        seconds["postgres (all processes)"] = postmaster.Stat is null ? 0 : processes
            .Where(p => p.Pid == postmaster.Pid || int.Parse(p.Stat![1], CultureInfo.InvariantCulture) == postmaster.Pid)
            .Sum(p => CpuSeconds(p.Stat!));
        // This run's orchestrator. The app host runs in this process, but DCP's server is not its child: ProcessTable finds
        // it through the pid it monitors.
        var system = ProcessTable.SystemOf(Environment.ProcessId).Select(entry => entry.Pid).ToHashSet();
        seconds["Aspire DCP and dotnet run wrappers"] = processes
            .Where(p => system.Contains(p.Pid))
            .Where(p => p.Stat![0] == "dcp" || (p.CommandLine.Count > 1 && p.CommandLine[0].EndsWith("dotnet", StringComparison.Ordinal) && p.CommandLine[1] == "run"))
            .Sum(p => CpuSeconds(p.Stat!));
        return new CpuSample(seconds);
    }

    public CpuUse Since(CpuSample earlier) =>
        new(Seconds.ToDictionary(entry => entry.Key, entry => entry.Value - earlier.Seconds.GetValueOrDefault(entry.Key)));

    // Fields after "(comm)": state ppid ... utime (index 11) stime (12); comm returned first, then ppid.
    private static string[]? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var open = text.IndexOf('(');
            var close = text.LastIndexOf(')');
            var rest = text[(close + 2)..].Split(' ');
            return [text[(open + 1)..close], rest[1], rest[11], rest[12]];
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static List<string> CommandLine(int pid)
    {
        try
        {
            return [.. File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries)];
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static double CpuSeconds(string[] stat) =>
        (double.Parse(stat[2], CultureInfo.InvariantCulture) + double.Parse(stat[3], CultureInfo.InvariantCulture)) / TicksPerSecond;
}
