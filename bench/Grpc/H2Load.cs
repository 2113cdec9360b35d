using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Checkout.Bench.Grpc;

/// <summary>
/// h2load (nghttp2-client) against one server: 16 connections x 32 concurrent streams, h2c prior knowledge, one
/// thread; the rate from its summary, latencies from its per-request log. It counts HTTP 2xx only: whether the
/// answers are gRPC OK is checked separately, with our client, before any load.
/// </summary>
internal static partial class H2Load
{
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
        var error = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var rate = RateRegex().Match(output);
        var done = SucceededRegex().Match(output);
        if (process.ExitCode != 0 || !rate.Success || !done.Success)
            throw new InvalidOperationException($"h2load failed:\n{output}{await error}");

        // Each line: start time (µs since epoch), HTTP status, duration (µs).
        var latencies = File.ReadLines(log).Select(line => double.Parse(line.Split('\t')[2], CultureInfo.InvariantCulture) / 1000.0).Order().ToList();
        File.Delete(log);
        return new Measurement(double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture),
            Measurement.Percentile(latencies, 0.50), Measurement.Percentile(latencies, 0.99),
            requests - long.Parse(done.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"finished in [\d.]+m?s, ([\d.]+) req/s")]
    private static partial Regex RateRegex();

    [GeneratedRegex(@"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded")]
    private static partial Regex SucceededRegex();
}
