using System.Globalization;
using System.Runtime.InteropServices;
using Checkout.AppHost.Hosting;

namespace Checkout.Bench.Saga;

internal static class Machine
{
    /// <summary>The 1, 5 and 15 minute load averages: how busy the shared cores were.</summary>
    public static string LoadAverage() => string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    public static string Describe()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(line => line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"')
            : null;
        return $"{cpu}, {Environment.ProcessorCount} cores (shared: other work may run), {os ?? RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }
}

/// <summary>CPU time (user + system, from /proc) of this process, each service, and the PostgreSQL processes under this process.</summary>
internal sealed record CpuSample(IReadOnlyDictionary<string, double> Seconds)
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public static CpuSample Take(CheckoutSystem system)
    {
        var seconds = new Dictionary<string, double>(StringComparer.Ordinal) { ["benchmark (load, Kafka broker)"] = Read(Environment.ProcessId) };
        foreach (var (name, service) in system.Services)
        {
            seconds[name] = service.ProcessId is { } pid ? Read(pid) : 0;
        }

        // The cluster's processes: everything named postgres below this process.
        var processes = Directory.EnumerateDirectories("/proc").Select(Path.GetFileName)
            .Select(name => int.TryParse(name, out var pid) ? pid : 0).Where(pid => pid > 0)
            .Select(pid => (Pid: pid, Stat: Stat(pid))).Where(process => process.Stat is not null).ToList();
        var parents = processes.ToDictionary(process => process.Pid, process => int.Parse(process.Stat![1], CultureInfo.InvariantCulture));
        seconds["postgres (all processes)"] = processes
            .Where(process => process.Stat![0] == "postgres" && Descends(process.Pid, parents))
            .Sum(process => CpuSeconds(process.Stat!));
        return new CpuSample(seconds);
    }

    public CpuUse Since(CpuSample earlier) =>
        new(Seconds.ToDictionary(entry => entry.Key, entry => entry.Value - earlier.Seconds.GetValueOrDefault(entry.Key)));

    private static bool Descends(int pid, Dictionary<int, int> parents)
    {
        for (var current = pid; parents.TryGetValue(current, out var parent) && parent > 1; current = parent)
        {
            if (parent == Environment.ProcessId)
            {
                return true;
            }
        }

        return false;
    }

    private static double Read(int pid) => Stat(pid) is { } stat ? CpuSeconds(stat) : 0;

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

    private static double CpuSeconds(string[] stat) =>
        (double.Parse(stat[2], CultureInfo.InvariantCulture) + double.Parse(stat[3], CultureInfo.InvariantCulture)) / TicksPerSecond;
}

internal sealed record CpuUse(IReadOnlyDictionary<string, double> Seconds)
{
    public double Total(TimeSpan wall) => Seconds.Values.Sum() / wall.TotalSeconds * 100;

    public string Describe(TimeSpan wall, int checkouts) => string.Join(Environment.NewLine,
        Seconds.OrderByDescending(entry => entry.Value)
            .Select(entry => string.Create(CultureInfo.InvariantCulture,
                $"- {entry.Key}: {entry.Value / wall.TotalSeconds * 100:0} % ({entry.Value * 1000 / checkouts:0.0} ms per checkout)"))
            .Append(string.Create(CultureInfo.InvariantCulture,
                $"- all: {Seconds.Values.Sum() / wall.TotalSeconds * 100:0} % ({Seconds.Values.Sum() * 1000 / checkouts:0.0} ms of CPU per checkout)")));
}
