// The checkout saga end to end, with the five services and the gateway as processes on the embedded PostgreSQL and Kafka broker
// (the same CheckoutSystem the saga tests start). Runs, in order:
//   (1) paced: 150 checkouts/s for 45 s; PlaceOrder latency and placed-to-confirmed latency (PlaceOrder sent ->
//       OrderConfirmed seen on the "orders" topic) p50/p99;
//   (2) maximum rate: 60 s with a fixed number of checkouts in flight (closed loop), checkouts/s confirmed;
//   (3) PostgreSQL commits per checkout (xact_commit of the five databases, idle background work subtracted);
// and the CPU time each process used during (2). Writes bench/results/saga.md.
// Run: dotnet run -c Release --project bench/Saga [-- --warmup S --paced S --rate N --max S --in-flight N --report PATH]
// (shorter runs while iterating; --report - prints the report instead of writing bench/results/saga.md).
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Checkout.AppHost.Hosting;
using Checkout.Bench.Saga;
using Checkout.Contracts.Catalog.V1;
using Checkout.Contracts.Orders.V1;
using Microsoft.Extensions.Logging;
using Npgsql;

// A closed loop completes at most InFlight / latency checkouts per second: with about 1 s from PlaceOrder to
// OrderConfirmed, 128 in flight would cap the run near 128/s and measure the loop, not the system.
var InFlight = (int)Option("--in-flight", 512);
var PacedRate = Option("--rate", 150);
var warmUpDuration = TimeSpan.FromSeconds(Option("--warmup", 15));
var pacedDuration = TimeSpan.FromSeconds(Option("--paced", 45));
var maxRateDuration = TimeSpan.FromSeconds(Option("--max", 60));
var reportPath = OptionText("--report") ?? Path.Combine(CheckoutSystem.FindRepositoryRoot(), "bench", "results", "saga.md");

using var loggers = LoggerFactory.Create(logging => logging.AddSimpleConsole(console => console.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
var loadAtStart = Machine.LoadAverage();
Console.WriteLine($"Load average: {loadAtStart}");
Console.WriteLine($"Starting the system ({ServiceProcess.BuildConfiguration} build)...");
await using var system = await CheckoutSystem.StartAsync(new CheckoutSystemOptions
{
    LoggerFactory = loggers,
    // A backlog under maximum load must not be cut short by the saga timeout: it is a throughput measurement.
    ServiceEnvironment = new Dictionary<string, IReadOnlyDictionary<string, string?>>
    {
        ["orders"] = new Dictionary<string, string?> { ["Orders__SagaTimeout"] = "00:10:00" },
    },
});
using var client = new CheckoutClient(system);
using var watcher = new ConfirmationWatcher(system.Kafka.BootstrapServers);
await watcher.WaitUntilAssignedAsync(TimeSpan.FromSeconds(30));
var skus = (await client.ListProductsAsync(new ListProductsRequest { PageSize = 100 })).Products.Select(product => product.Sku).ToArray();
foreach (var sku in skus)
{
    // Enough for every run (one unit per checkout, spread over the SKUs), so no checkout is out of stock.
    await client.RestockAsync(sku, 50_000);
}

var checkouts = new Checkouts(client, watcher, skus);
Console.WriteLine($"Warm-up: {warmUpDuration.TotalSeconds} s at 32 in flight...");
await checkouts.ClosedLoopAsync(32, warmUpDuration);

var idleCpuBefore = CpuSample.Take(system);
var idleClock = Stopwatch.StartNew();
var idleCommitsPerSecond = await IdleCommitRateAsync();
var idleCpu = CpuSample.Take(system).Since(idleCpuBefore);
Console.WriteLine($"Idle CPU ({idleClock.Elapsed.TotalSeconds:0} s, no checkouts): {idleCpu.Total(idleClock.Elapsed):0} %");
Console.WriteLine($"Paced: {PacedRate}/s for {pacedDuration.TotalSeconds} s...");
var pacedFrom = await HopBreakdown.NowAsync(system);
var paced = await checkouts.PacedAsync(PacedRate, pacedDuration);
var pacedHops = await HopBreakdown.DescribeAsync(system, pacedFrom, await HopBreakdown.NowAsync(system));
Console.WriteLine(paced);
Console.WriteLine(pacedHops);

Console.WriteLine($"Maximum rate: {InFlight} in flight for {maxRateDuration.TotalSeconds} s...");
var commitsBefore = await CommitsAsync();
var commitClock = Stopwatch.StartNew();
var cpuBefore = CpuSample.Take(system);
var max = await checkouts.ClosedLoopAsync(InFlight, maxRateDuration);
var cpu = CpuSample.Take(system).Since(cpuBefore);
// Backends report their counters within about a second of a commit, idle ones within ten: wait that out.
await Task.Delay(TimeSpan.FromSeconds(11));
var commits = await CommitsAsync() - commitsBefore - idleCommitsPerSecond * commitClock.Elapsed.TotalSeconds;
var commitsPerCheckout = commits / max.Completed;
Console.WriteLine(max);
Console.WriteLine($"PostgreSQL commits per checkout: {commitsPerCheckout:0.0} (idle background: {idleCommitsPerSecond:0.0}/s subtracted)");
Console.WriteLine(cpu.Describe(max.Elapsed, max.Completed));

var report = Report(paced, pacedHops, max, commitsPerCheckout, idleCommitsPerSecond, cpu);
if (reportPath == "-")
{
    Console.WriteLine(report);
}
else
{
    await File.WriteAllTextAsync(reportPath, report);
    Console.WriteLine($"Wrote {reportPath}");
}
return 0;

string? OptionText(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

double Option(string name, double defaultSeconds) =>
    OptionText(name) is { } text
        ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? seconds
            : throw new ArgumentException($"{name} must be a positive number of seconds (was '{text}').")
        : defaultSeconds;

async Task<double> CommitsAsync()
{
    await using var connection = new NpgsqlConnection(system.Postgres.GetConnectionString());
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand("SELECT sum(xact_commit)::float8 FROM pg_stat_database WHERE datname = ANY(@names)", connection);
    command.Parameters.AddWithValue("names", CheckoutSystem.Definitions.Select(definition => definition.Database).ToArray());
    return (double)(await command.ExecuteScalarAsync())!;
}

async Task<double> IdleCommitRateAsync()
{
    await Task.Delay(TimeSpan.FromSeconds(11));
    var before = await CommitsAsync();
    var clock = Stopwatch.StartNew();
    await Task.Delay(TimeSpan.FromSeconds(20));
    return (await CommitsAsync() - before) / clock.Elapsed.TotalSeconds;
}

string Report(RunResult paced, string pacedHops, RunResult max, double commitsPerCheckout, double idleCommits, CpuUse cpu)
{
    var text = new StringBuilder();
    text.AppendLine("# Checkout saga benchmark");
    text.AppendLine();
    text.AppendLine("Run: `dotnet run -c Release --project bench/Saga` (source: bench/Saga/Program.cs).");
    text.AppendLine();
    text.AppendLine(CultureInfo.InvariantCulture, $"Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. Machine: {Machine.Describe()}. Load average (1/5/15 min) at the start: {loadAtStart}; at the end: {Machine.LoadAverage()}.");
    text.AppendLine();
    text.AppendLine("System: the five services and the gateway as Release processes (CheckoutSystem, as the saga tests run it), one embedded PostgreSQL cluster " +
                    "(a database per service, default durability), the embedded librdkafka mock broker (1 broker, " + CheckoutSystem.TopicPartitions.ToString(CultureInfo.InvariantCulture) + " partitions per topic, in the benchmark's process), " +
                    "the load generator in the benchmark's process: everything on the same cores. A checkout = PlaceOrder of one line (1 unit of one of the " + skus.Length.ToString(CultureInfo.InvariantCulture) + " demo SKUs, " +
                    "token tok_visa) until OrderConfirmed is seen on the \"orders\" topic by a consumer of the benchmark.");
    text.AppendLine();
    text.AppendLine("| run | checkouts | confirmed/s | PlaceOrder p50 ms | PlaceOrder p99 ms | placed-to-confirmed p50 ms | placed-to-confirmed p99 ms | not confirmed |");
    text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
    text.AppendLine(paced.Row($"paced {PacedRate:0}/s, {pacedDuration.TotalSeconds:0} s"));
    text.AppendLine(max.Row($"maximum, {InFlight} in flight, {maxRateDuration.TotalSeconds:0} s"));
    text.AppendLine();
    text.AppendLine("Where the time goes in the paced run (from the outbox's created_at/sent_at and the inbox's handled_at; a dispatcher round's time is its start, before the broker's acknowledgement):");
    text.AppendLine();
    text.AppendLine(pacedHops);
    text.AppendLine();
    text.AppendLine(CultureInfo.InvariantCulture, $"PostgreSQL commits per checkout (xact_commit over the five databases during the maximum-rate run / confirmed checkouts, idle background work of {idleCommits:0.0} commits/s subtracted): **{commitsPerCheckout:0.0}**.");
    text.AppendLine();
    text.AppendLine("CPU during the maximum-rate run (user+system time / wall time; 200 % = both cores):");
    text.AppendLine();
    text.AppendLine(cpu.Describe(max.Elapsed, max.Completed));
    text.AppendLine();
    text.AppendLine(CultureInfo.InvariantCulture, $"The same processes idle (no checkouts, before the paced run): {idleCpu.Total(idleClock.Elapsed):0} % of CPU.");
    text.AppendLine();
    text.AppendLine(CultureInfo.InvariantCulture, $"Targets: >= 300 checkouts/s sustained ({(max.PerSecond >= 300 ? "met" : "missed")}: {max.PerSecond:0}/s); " +
                    $"placed-to-confirmed p99 < 500 ms at 150/s ({(paced.ConfirmP99 < 500 ? "met" : "missed")}: {paced.ConfirmP99:0} ms).");
    return text.ToString();
}
