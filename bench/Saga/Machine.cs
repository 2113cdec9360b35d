using System.Globalization;
using System.Runtime.InteropServices;

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
