using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace Checkout.Bench.Grpc;

/// <summary>bench/results/grpc.md: medians of the interleaved rounds, and the ratios between servers.</summary>
internal static class Report
{
    public static string Write(IReadOnlyList<(string Name, List<Measurement> Rounds)> results, string ours, string bare, string grpcJs, int rounds, string loadBefore, string loadAfter)
    {
        var inv = CultureInfo.InvariantCulture;
        var byName = results.ToDictionary(r => r.Name, r => r.Rounds);
        double MedianRate(string name) => Median(byName[name].Select(m => m.RequestsPerSecond));
        // The machine is shared and its load drifts between rounds: ratios within one round (run back to back) are steadier.
        double PairedRatio(string a, string b) => Median(byName[a].Zip(byName[b], (x, y) => x.RequestsPerSecond / y.RequestsPerSecond));

        var text = new StringBuilder();
        text.AppendLine("# gRPC unary echo benchmark");
        text.AppendLine();
        text.AppendLine("Run: `eng/setup.sh nghttp2-client && dotnet run -c Release --project bench/Grpc` (source: bench/Grpc/Program.cs).");
        text.AppendLine();
        text.AppendLine(inv, $"Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. Machine: {Cpu()}, {Environment.ProcessorCount} cores (shared: other work may run), {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, {Tool("h2load", "--version")}, node {Tool("node", "--version")}; Grpc.AspNetCore and Grpc.Net.Client {GrpcVersion()}. Load average (1, 5, 15 min) of the machine, which other work shares, before the run: {loadBefore}; after: {loadAfter}.");
        text.AppendLine();
        text.AppendLine(inv, $"Load: h2load -c 16 -m 32 (16 connections x 32 concurrent streams, h2c prior knowledge, one thread), POST of one framed EchoRequest with content-type application/grpc and te: trailers; every server in its own process, Release, server GC, no log providers; the load generator on the same cores. (a) is the echo service as a Checkout service serves it: `AddGrpcServiceDefaults()` (Grpc.AspNetCore with our exception interceptor, 4 MiB limit, gRPC health checks) and `MapGrpcService<T>()`; (a') adds `AddServiceDefaults()` (OpenTelemetry traces and metrics, health checks), as the services run. (b) answers the same bytes with the same grpc-status trailer from a bare Kestrel endpoint, the ceiling. (c) is the grpc-js echo server of the interop tests. (d) is our generated client (EchoService.EchoServiceClient) on 16 GrpcChannels (one HTTP/2 connection each) x 32 calls in flight against (a); (e) is the same client as services get it, from `AddGrpcServiceClient` in a host with `AddServiceDefaults` (service discovery, GrpcResilience, correlation id and call-context interceptors, telemetry; logs at Warning), 512 calls in flight. Each configuration ran {rounds} times, interleaved; the table gives medians (latencies: median over rounds of each round's p50/p99). Before any load, each server's answer was checked with our generated client (gRPC status OK and the reply's message).");
        text.AppendLine();
        text.AppendLine("| configuration | requests/s (median) | p50 ms | p99 ms | failed | all rounds (req/s) |");
        text.AppendLine("|---|---:|---:|---:|---:|---|");
        foreach (var (name, measurements) in results)
        {
            text.AppendLine(inv, $"| {name} | {MedianRate(name):N0} | {Median(measurements.Select(m => m.P50Ms)):F2} | {Median(measurements.Select(m => m.P99Ms)):F2} | {measurements.Sum(m => m.Failed)} | {string.Join(", ", measurements.Select(m => m.RequestsPerSecond.ToString("N0", inv)))} |");
        }

        text.AppendLine();
        text.AppendLine(inv, $"Ratios of the medians: (a)/(b) = {MedianRate(ours) / MedianRate(bare):P1} (expected about 70-80 %: what Grpc.AspNetCore itself costs); (a)/(c) = {MedianRate(ours) / MedianRate(grpcJs):F1}x (target >= 6x).");
        text.AppendLine();
        text.AppendLine(inv, $"Median of the per-round ratios (each round runs every configuration back to back): (a)/(b) = {PairedRatio(ours, bare):P1}; (a)/(c) = {PairedRatio(ours, grpcJs):F1}x.");
        return text.ToString();
    }

    /// <summary>The 1, 5 and 15 minute load averages, from /proc/loadavg: how busy the shared machine was.</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    // The assembly version of Grpc.* stays 2.0.0.0; the package's version is in the informational one ("2.85.0+commit").
    private static string GrpcVersion() =>
        typeof(global::Grpc.Net.Client.GrpcChannel).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?";

    private static string Cpu()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    private static string Tool(string name, string argument)
    {
        using var process = Process.Start(new ProcessStartInfo(name, argument) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return output.Split('\n')[0];
    }
}
