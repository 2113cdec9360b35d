// Unary echo benchmark: requests/s and p50/p99 latency of (a) our gRPC server, (b) bare Kestrel doing the same echo
// without gRPC but with the same grpc-status trailer, (c) a grpc-js server, all driven by h2load (16 connections x
// 32 streams, h2c prior knowledge), each server in its own process; then our GrpcClient against (a) with the same
// load shape. Configurations run interleaved, several rounds; the report quotes medians.
//
//   eng/setup.sh nghttp2-client          # h2load, node and the grpc-js packages
//   dotnet run -c Release --project bench/Grpc [-- --rounds 3]
//
// Writes bench/results/grpc.md and prints it.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Checkout.Bench.Grpc;
using Checkout.Grpc.Tests.Echo;
using Checkout.ServiceDefaults.Grpc;
using Google.Protobuf;

if (args is ["serve", var kind, var port])
{
    await EchoServers.RunAsync(kind, int.Parse(port, CultureInfo.InvariantCulture));
    return 0;
}

var rounds = args is ["--rounds", var r] ? int.Parse(r, CultureInfo.InvariantCulture) : 3;
if (!Debugger.IsAttached && typeof(Program).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration != "Release")
{
    Console.Error.WriteLine("Run the benchmark in Release: dotnet run -c Release --project bench/Grpc");
    return 2;
}
var root = typeof(Program).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;
var interop = Path.Combine(root, "tests", "Checkout.Grpc.Tests", "interop");
var work = Directory.CreateTempSubdirectory("checkout-bench-grpc-");
try
{
    var requestFile = Path.Combine(work.FullName, "echo-request.bin");
    var message = new EchoRequest { Message = "hello" }.ToByteArray();
    File.WriteAllBytes(requestFile, [0, 0, 0, 0, (byte)message.Length, .. message]);

    await using var ours = await ServerProcess.StartDotnetAsync("grpc");
    await using var bare = await ServerProcess.StartDotnetAsync("bare");
    await using var grpcJs = await ServerProcess.StartNodeAsync(interop);
    (string Name, ServerProcess Server, int Requests)[] targets =
    [
        ("(a) Checkout gRPC server", ours, 400_000),
        ("(b) bare Kestrel h2c echo + grpc-status", bare, 400_000),
        ("(c) grpc-js server", grpcJs, 60_000),
    ];

    // Every server must really answer gRPC with OK: h2load only sees HTTP 200.
    foreach (var (name, server, _) in targets)
    {
        var reply = await GrpcClient.Create(server.Address).UnaryAsync(Echo.Method, new EchoRequest { Message = "check" });
        if (reply.Message != "check") throw new InvalidOperationException($"{name} answered '{reply.Message}'.");
    }

    Console.WriteLine("warming up");
    foreach (var (_, server, requests) in targets) await H2Load.RunAsync(server.Address, requestFile, requests / 4, work.FullName);
    await ClientLoad.RunAsync(ours.Address, TimeSpan.FromSeconds(2));

    var results = targets.ToDictionary(t => t.Name, _ => new List<Measurement>());
    results["(d) Checkout GrpcClient -> (a)"] = [];
    for (var round = 1; round <= rounds; round++)
    {
        foreach (var (name, server, requests) in targets)
        {
            var measurement = await H2Load.RunAsync(server.Address, requestFile, requests, work.FullName);
            results[name].Add(measurement);
            Console.WriteLine($"round {round} {name}: {measurement}");
        }
        var client = await ClientLoad.RunAsync(ours.Address, TimeSpan.FromSeconds(4));
        results["(d) Checkout GrpcClient -> (a)"].Add(client);
        Console.WriteLine($"round {round} our client: {client}");
    }

    var report = Report.Write(results, rounds);
    var path = Path.Combine(root, "bench", "results", "grpc.md");
    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
    File.WriteAllText(path, report);
    Console.WriteLine();
    Console.WriteLine(report);
    return 0;
}
finally
{
    work.Delete(recursive: true);
}

internal static class Echo
{
    public static readonly Method<EchoRequest, EchoReply> Method =
        Checkout.ServiceDefaults.Grpc.Method.FromDescriptor<EchoRequest, EchoReply>(
            EchoReflection.Descriptor.FindService("checkout.testing.v1.EchoService").FindMethodByName("Echo"));
}

internal sealed record Measurement(double RequestsPerSecond, double P50Ms, double P99Ms, long Failed)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{RequestsPerSecond:F0} req/s, p50 {P50Ms:F2} ms, p99 {P99Ms:F2} ms, failed {Failed}");
}

/// <summary>A server in its own process, ended by closing its stdin (or killed).</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Address = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Address { get; }

    public static async Task<ServerProcess> StartDotnetAsync(string kind)
    {
        var port = FreePort();
        var info = new ProcessStartInfo(Environment.ProcessPath!) { ArgumentList = { "serve", kind, port.ToString(CultureInfo.InvariantCulture) } };
        return await StartAsync(info, port, line => line == "listening");
    }

    public static async Task<ServerProcess> StartNodeAsync(string interopDirectory)
    {
        if (!Directory.Exists(Path.Combine(interopDirectory, "node_modules")))
            throw new InvalidOperationException($"No node_modules in {interopDirectory}: run eng/setup.sh.");
        var port = FreePort();
        var info = new ProcessStartInfo("node") { WorkingDirectory = interopDirectory, ArgumentList = { "server.js", port.ToString(CultureInfo.InvariantCulture) } };
        return await StartAsync(info, port, line => line.Contains("\"port\""));
    }

    private static async Task<ServerProcess> StartAsync(ProcessStartInfo info, int port, Func<string, bool> isReady)
    {
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.UseShellExecute = false;
        var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (isReady(line)) return new ServerProcess(process, port);
            }
            throw new InvalidOperationException($"{info.FileName} {string.Join(' ', info.ArgumentList)} exited before listening.");
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}

internal static partial class H2Load
{
    /// <summary>h2load, 16 connections x 32 concurrent streams, one thread; latencies from its per-request log.</summary>
    public static async Task<Measurement> RunAsync(Uri address, string requestFile, int requests, string workDirectory)
    {
        var log = Path.Combine(workDirectory, "h2load.log");
        var info = new ProcessStartInfo("h2load")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            ArgumentList =
            {
                "-n", requests.ToString(CultureInfo.InvariantCulture), "-c", "16", "-m", "32",
                "-d", requestFile, "-H", "content-type: application/grpc", "-H", "te: trailers",
                "--log-file", log, new Uri(address, EchoServers.EchoPath).ToString(),
            },
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("h2load did not start: eng/setup.sh nghttp2-client");
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var rate = RateRegex().Match(output);
        var done = SucceededRegex().Match(output);
        if (process.ExitCode != 0 || !rate.Success || !done.Success) throw new InvalidOperationException($"h2load failed:\n{output}{await process.StandardError.ReadToEndAsync()}");
        var latencies = new List<double>(requests);
        foreach (var line in File.ReadLines(log))
        {
            var columns = line.Split('\t');
            latencies.Add(double.Parse(columns[2], CultureInfo.InvariantCulture) / 1000.0);
        }
        File.Delete(log);
        latencies.Sort();
        return new Measurement(double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture), Percentile(latencies, 0.50), Percentile(latencies, 0.99),
            requests - long.Parse(done.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    public static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(p * sorted.Count) - 1)];

    [GeneratedRegex(@"finished in [\d.]+m?s, ([\d.]+) req/s")]
    private static partial Regex RateRegex();

    [GeneratedRegex(@"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded")]
    private static partial Regex SucceededRegex();
}

/// <summary>Our client's load: 16 clients (one HTTP/2 connection each) x 32 calls in flight, for a fixed time.</summary>
internal static class ClientLoad
{
    public static async Task<Measurement> RunAsync(Uri address, TimeSpan duration)
    {
        var clients = Enumerable.Range(0, 16).Select(_ => GrpcClient.Create(address)).ToArray();
        var request = new EchoRequest { Message = "hello" };
        var stop = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var failed = 0L;
        var workers = clients.SelectMany(client => Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<double>(1 << 14);
            while (Stopwatch.GetTimestamp() < stop)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await client.UnaryAsync(Echo.Method, request);
                    latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                catch (RpcException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
            return latencies;
        }))).ToArray();
        var began = Stopwatch.GetTimestamp();
        var all = (await Task.WhenAll(workers)).SelectMany(l => l).ToList();
        var seconds = Stopwatch.GetElapsedTime(began).TotalSeconds;
        all.Sort();
        return new Measurement(all.Count / seconds, H2Load.Percentile(all, 0.50), H2Load.Percentile(all, 0.99), failed);
    }
}

internal static class Report
{
    public static string Write(Dictionary<string, List<Measurement>> results, int rounds)
    {
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }

        var medians = results.ToDictionary(kv => kv.Key, kv => (
            Rate: Median(kv.Value.Select(m => m.RequestsPerSecond)),
            P50: Median(kv.Value.Select(m => m.P50Ms)),
            P99: Median(kv.Value.Select(m => m.P99Ms)),
            Failed: kv.Value.Sum(m => m.Failed)));
        var names = results.Keys.ToArray();
        var ours = medians[names[0]].Rate;
        var bare = medians[names[1]].Rate;
        var grpcJs = medians[names[2]].Rate;

        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine("# gRPC unary echo benchmark");
        text.AppendLine();
        text.AppendLine("Run: `eng/setup.sh nghttp2-client && dotnet run -c Release --project bench/Grpc` (source: bench/Grpc/Program.cs).");
        text.AppendLine();
        text.AppendLine(inv, $"Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. Machine: {Cpu()}, {Environment.ProcessorCount} cores (shared: other work may run), {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, {Tool("h2load", "--version")}, node {Tool("node", "--version")}.");
        text.AppendLine();
        text.AppendLine(inv, $"Load: h2load -c 16 -m 32 (16 connections x 32 concurrent streams, h2c prior knowledge, one thread), POST of one framed EchoRequest with content-type application/grpc and te: trailers; every server in its own process, Release; the load generator on the same cores. (d) is our GrpcClient with the same shape: 16 clients, one connection each, 32 calls in flight each. Each configuration ran {rounds} times, interleaved; the table gives medians (latencies: median over rounds of each round's p50/p99). Each server's answer was checked with our client (grpc-status 0, reply message) before the runs.");
        text.AppendLine();
        text.AppendLine("| configuration | requests/s (median) | p50 ms | p99 ms | failed | all rounds (req/s) |");
        text.AppendLine("|---|---:|---:|---:|---:|---|");
        foreach (var name in names)
        {
            var m = medians[name];
            text.AppendLine(inv, $"| {name} | {m.Rate:N0} | {m.P50:F2} | {m.P99:F2} | {m.Failed} | {string.Join(", ", results[name].Select(x => x.RequestsPerSecond.ToString("N0", inv)))} |");
        }
        text.AppendLine();
        // The machine is shared, so load drifts between rounds: ratios within a round (run back to back) are steadier.
        var pairedBare = Median(results[names[0]].Zip(results[names[1]], (a, b) => a.RequestsPerSecond / b.RequestsPerSecond));
        var pairedGrpcJs = Median(results[names[0]].Zip(results[names[2]], (a, c) => a.RequestsPerSecond / c.RequestsPerSecond));
        text.AppendLine(inv, $"Ratios of the medians: (a)/(b) = {ours / bare:P1} (target >= 85%); (a)/(c) = {ours / grpcJs:F1}x (target >= 6x).");
        text.AppendLine();
        text.AppendLine(inv, $"Median of the per-round ratios (each round runs (a), (b), (c) back to back): (a)/(b) = {pairedBare:P1}; (a)/(c) = {pairedGrpcJs:F1}x.");
        return text.ToString();
    }

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
