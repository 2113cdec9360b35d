// Messaging benchmark: outbox-to-broker throughput and commit-to-publish latency (paced and at max rate), and
// consume-and-handle throughput with the inbox, each measured over several runs on the app host's embedded PostgreSQL
// and Kafka-protocol broker, run through Aspire as the app host runs them. Writes bench/results/messaging.md.
// Run: dotnet run -c Release --project bench/Messaging [runs] (default 3); `-- 1 --smoke` checks that every scenario
// works, on a tenth of the events, and writes nothing.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Checkout.Contracts.Events.V1;
using Checkout.Contracts.Messaging.V1;
using Checkout.ServiceDefaults.Messaging;
using Checkout.ServiceDefaults.Postgres;
using Checkout.Testing.AppHost;
using Confluent.Kafka;
using Dapper;
using Google.Protobuf;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

// Optional first argument: the number of runs of each scenario (default 3); --smoke: a tenth of the events, no report file.
var Runs = args.Length > 0 && int.TryParse(args[0], CultureInfo.InvariantCulture, out var runs) ? runs : 3;
var smoke = args.Contains("--smoke");
var scale = smoke ? 10 : 1;
const int Partitions = 8;
const int PacedRate = 1_000;
var pacedDuration = TimeSpan.FromSeconds(15.0 / scale);
var MaxRateEvents = 60_000 / scale;
var ConsumeEvents = 40_000 / scale;
var DrainEvents = 100_000 / scale;

var loadBefore = LoadAverage();
// PostgreSQL and the broker as the app host runs them (its own resources, in a temporary data folder).
await using var infrastructure = await CheckoutApp.StartAsync(new CheckoutAppOptions
{
    Resources = ["postgres", "kafka"],
    // Resource logs are forwarded into the app host's log by Aspire.Hosting.Testing: PostgreSQL's own lines (stderr,
    // so logged as errors) would bury the figures.
    Configure = builder => builder.Services.AddLogging(logging => logging.AddFilter((category, level) =>
        level >= LogLevel.Warning && category?.Contains(".Resources.", StringComparison.Ordinal) != true)),
});
var kafka = infrastructure.Kafka;

var paced = new List<OutboxRun>();
var maxRate = new List<OutboxRun>();
var drain = new List<double>();
var consume = new List<double>();
for (var run = 1; run <= Runs; run++)
{
    paced.Add(await OutboxRunAsync($"paced {run}", paced: true));
    maxRate.Add(await OutboxRunAsync($"max {run}", paced: false));
    drain.Add(await DrainRunAsync($"drain {run}"));
    consume.Add(await ConsumeRunAsync($"consume {run}"));
}
var report = Report(paced, maxRate, drain, consume);
Console.WriteLine(report);
if (smoke)
{
    Console.WriteLine("Smoke run: bench/results/messaging.md left as it was.");
    return;
}
var path = Path.Combine(RepositoryRoot(), "bench", "results", "messaging.md");
await File.WriteAllTextAsync(path, report);
Console.WriteLine($"Written to {path}");
return;

// Writers commit events through the outbox; the publish span's end (after the broker's acknowledgement) minus the
// writer's commit time is the commit-to-publish latency.
async Task<OutboxRun> OutboxRunAsync(string name, bool paced)
{
    var (database, topic) = await PrepareAsync();
    var committedAt = new ConcurrentDictionary<string, long>();
    var publishedAt = new ConcurrentDictionary<string, long>();
    using var listener = new ActivityListener
    {
        ShouldListenTo = source => source.Name == MessagingTelemetry.Name,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        ActivityStopped = activity =>
        {
            if (activity.Kind != ActivityKind.Producer || activity.GetTagItem("messaging.message.id") is not string id)
                return;
            // The first publish counts (a retried round may publish an event again).
            publishedAt.TryAdd(id, Stopwatch.GetTimestamp());
        },
    };
    ActivitySource.AddActivityListener(listener);
    using var host = await StartServiceAsync(database, m => m.AddOutbox());
    var outbox = host.Services.GetRequiredService<IOutbox>();
    var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();

    async Task WriteAsync(int writer, int sequence, int events)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var ids = new List<Guid>(events);
        for (var i = 0; i < events; i++)
        {
            var key = $"order-{writer}-{(sequence + i) % 50}";
            await connection.ExecuteAsync("INSERT INTO orders (order_id) VALUES (@key)", new { key }, transaction);
            ids.Add(await outbox.WriteAsync(transaction, topic, key, new OrderPlaced { OrderId = key, TotalMinor = sequence + i, Currency = "EUR" }));
        }
        await outbox.CommitAsync(transaction);
        var now = Stopwatch.GetTimestamp();
        foreach (var id in ids)
            committedAt[id.ToString()] = now;
    }

    // Warm-up: the producer connects and learns the topic's partitions before anything is measured.
    await WriteAsync(writer: 99, sequence: 0, events: 20);
    while (publishedAt.Count < 20)
        await Task.Delay(10);
    committedAt.Clear();
    publishedAt.Clear();

    var started = Stopwatch.GetTimestamp();
    int total;
    if (paced)
    {
        // Ten writers, one event per transaction, each on its own schedule (a late writer catches up at once).
        const int writers = 10;
        var perWriter = (int)(PacedRate / writers * pacedDuration.TotalSeconds);
        var interval = TimeSpan.FromSeconds((double)writers / PacedRate);
        await Task.WhenAll(Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                var due = started + (long)((i * interval.TotalSeconds + writer * interval.TotalSeconds / writers) * Stopwatch.Frequency);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                    await Task.Delay(wait);
                await WriteAsync(writer, i, 1);
            }
        })));
        total = writers * perWriter;
    }
    else
    {
        // Eight writers, ten events per transaction, as fast as the database takes them.
        const int writers = 8, perTransaction = 10;
        var transactions = MaxRateEvents / writers / perTransaction;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; i < transactions; i++)
                await WriteAsync(writer, i * perTransaction, perTransaction);
        })));
        total = writers * transactions * perTransaction;
    }
    var written = Stopwatch.GetElapsedTime(started);
    var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
    while (publishedAt.Count < total && DateTime.UtcNow < deadline)
        await Task.Delay(20);
    if (publishedAt.Count < total)
        throw new TimeoutException($"{name}: only {publishedAt.Count} of {total} events published.");
    await host.StopAsync();
    var elapsed = Stopwatch.GetElapsedTime(started, publishedAt.Values.Max());
    // An event can be published before its writer has noted the commit's return: that latency counts as zero.
    var sorted = committedAt.Select(c => Math.Max(0, Stopwatch.GetElapsedTime(c.Value, publishedAt[c.Key]).TotalMilliseconds)).Order().ToArray();
    var result = new OutboxRun(total / written.TotalSeconds, total / elapsed.TotalSeconds, Percentile(sorted, 0.50), Percentile(sorted, 0.99), sorted[^1]);
    Console.WriteLine($"{name}: {result}");
    return result;
}

// A backlog already in the outbox (as after an outage) published by a dispatcher that starts on it: the
// dispatcher's own throughput, without writers competing for the two cores.
async Task<double> DrainRunAsync(string name)
{
    var (database, topic) = await PrepareAsync();
    using (var schema = await StartServiceAsync(database, _ => { }))
        await schema.StopAsync();
    await using (var connection = new NpgsqlConnection(database))
    {
        await connection.OpenAsync();
        var rows = Enumerable.Range(0, DrainEvents).Select(i =>
        {
            var key = $"order-{i % 2_000}";
            var envelope = NewEnvelope(key, i);
            return (Id: Guid.Parse(envelope.MessageId), Key: key, Envelope: envelope.ToByteArray());
        }).ToList();
        // The rows IOutbox.WriteAsync writes, inserted in bulk.
        await connection.ExecuteAsync(
            "INSERT INTO messaging.outbox (message_id, topic, message_key, envelope) SELECT unnest(@ids), @topic, unnest(@keys), unnest(@envelopes)",
            new { ids = rows.Select(r => r.Id).ToArray(), topic, keys = rows.Select(r => r.Key).ToArray(), envelopes = rows.Select(r => r.Envelope).ToArray() });
    }
    var published = 0;
    long last = 0;
    using var listener = new ActivityListener
    {
        ShouldListenTo = source => source.Name == MessagingTelemetry.Name,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        ActivityStopped = activity =>
        {
            if (activity.Kind != ActivityKind.Producer || activity.Status == ActivityStatusCode.Error)
                return;
            Interlocked.Increment(ref published);
            Interlocked.Exchange(ref last, Stopwatch.GetTimestamp());
        },
    };
    ActivitySource.AddActivityListener(listener);
    var started = Stopwatch.GetTimestamp();
    using var host = await StartServiceAsync(database, m => m.AddOutbox());
    var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
    while (Volatile.Read(ref published) < DrainEvents && DateTime.UtcNow < deadline)
        await Task.Delay(20);
    if (Volatile.Read(ref published) < DrainEvents)
        throw new TimeoutException($"{name}: only {published} of {DrainEvents} events published.");
    var rate = DrainEvents / Stopwatch.GetElapsedTime(started, Interlocked.Read(ref last)).TotalSeconds;
    await host.StopAsync();
    Console.WriteLine($"{name}: {rate:F0} events/s");
    return rate;
}

// Pre-produced envelopes consumed by a service whose handler writes one row per message in the inbox transaction.
async Task<double> ConsumeRunAsync(string name)
{
    var (database, topic) = await PrepareAsync();
    using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers, LingerMs = 5 }).Build())
    {
        for (var i = 0; i < ConsumeEvents; i++)
        {
            var key = $"order-{i % 400}";
            producer.Produce(topic, new Message<string, byte[]> { Key = key, Value = NewEnvelope(key, i).ToByteArray() });
        }
        producer.Flush();
    }
    CountingHandler.Reset();
    using var host = await StartServiceAsync(database, m => m.AddConsumer<CountingHandler>(topic));
    var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
    while (CountingHandler.Handled < ConsumeEvents && DateTime.UtcNow < deadline)
        await Task.Delay(20);
    if (CountingHandler.Handled < ConsumeEvents)
        throw new TimeoutException($"{name}: only {CountingHandler.Handled} of {ConsumeEvents} messages handled.");
    var rate = ConsumeEvents / Stopwatch.GetElapsedTime(CountingHandler.First, CountingHandler.Last).TotalSeconds;
    await host.StopAsync();
    Console.WriteLine($"{name}: {rate:F0} messages/s");
    return rate;
}

async Task<(string Database, string Topic)> PrepareAsync()
{
    var database = await infrastructure.CreateDatabaseAsync("bench_" + Guid.NewGuid().ToString("N")[..12]);
    await using (var connection = new NpgsqlConnection(database))
        await connection.ExecuteAsync("CREATE TABLE orders (id bigserial PRIMARY KEY, order_id text NOT NULL)");
    var topic = "orders-" + Guid.NewGuid().ToString("N")[..8];
    kafka.CreateTopic(topic, Partitions);
    kafka.CreateTopic(topic + ".dlq", Partitions);
    return (database, topic);
}

async Task<IHost> StartServiceAsync(string database, Action<MessagingBuilder> messaging)
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["ConnectionStrings:kafka"] = kafka.BootstrapServers,
        ["ConnectionStrings:benchdb"] = database,
        ["Messaging:ServiceName"] = "bench-" + Guid.NewGuid().ToString("N")[..8],
        ["Messaging:Consumer:fetch.wait.max.ms"] = "1",
        ["Messaging:Producer:max.in.flight.requests.per.connection"] = "1",
    });
    builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
    // What the services use, and what the results were measured with (statements prepared automatically); the messaging
    // core requires it (its outbox and inbox live in the service's database).
    builder.AddServiceDatabase("benchdb");
    builder.Services.AddSingleton<CountingHandler>();
    messaging(builder.AddKafkaMessaging());
    var host = builder.Build();
    await host.StartAsync();
    return host;
}

// An event as the outbox wraps it, for the scenarios that bypass the writer path.
static Envelope NewEnvelope(string key, long sequence) => new()
{
    MessageId = Guid.CreateVersion7().ToString(),
    Type = OrderPlaced.Descriptor.FullName,
    Source = "bench",
    CorrelationId = key,
    SchemaVersion = 1,
    Time = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow),
    Payload = new OrderPlaced { OrderId = key, TotalMinor = sequence, Currency = "EUR" }.ToByteString(),
};

static string LoadAverage() =>
    File.Exists("/proc/loadavg") ? string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

string Report(List<OutboxRun> pacedRuns, List<OutboxRun> maxRuns, List<double> drainRuns, List<double> consumeRuns)
{
    string F(double value) => value.ToString(value >= 100 ? "N0" : "N1", CultureInfo.InvariantCulture);
    string Row(string metric, IEnumerable<double> values) => $"| {metric} | {string.Join(" | ", values.Select(F))} | **{F(Median(values))}** |";
    var header = $"| Metric | {string.Join(" | ", Enumerable.Range(1, Runs).Select(r => $"Run {r}"))} | Median |\n|---|{string.Concat(Enumerable.Repeat("---:|", Runs + 1))}";
    var text = new StringBuilder();
    text.AppendLine("# Messaging benchmark");
    text.AppendLine();
    text.AppendLine("Run with: `dotnet run -c Release --project bench/Messaging` (writes this file).");
    text.AppendLine();
    text.AppendLine($"Machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}; " +
        $"the app host's embedded PostgreSQL 15 and librdkafka's mock Kafka cluster (1 broker, {Partitions} partitions), run through Aspire, on the same cores. " +
        $"{DateTime.UtcNow:yyyy-MM-dd}.");
    text.AppendLine();
    text.AppendLine($"Load average (1/5/15 min) when the runs started: {loadBefore}; when they ended: {LoadAverage()}. The machine is shared: other");
    text.AppendLine("work on the same 2 cores moves these figures, which is why each scenario runs several times and the median is quoted.");
    text.AppendLine();
    text.AppendLine("What is measured (Checkout.ServiceDefaults.Messaging with its default settings, plus two for the mock broker:");
    text.AppendLine("fetch.wait.max.ms=1, and max.in.flight.requests.per.connection=1 because the mock answers several in-flight produce");
    text.AppendLine("requests with a ~40 ms stall per round (its responses queue behind TCP delayed acknowledgements; a real broker sets TCP_NODELAY)):");
    text.AppendLine();
    text.AppendLine("- **Commit-to-publish latency**: from the writer's COMMIT returning to the end of the event's publish span, which ends after");
    text.AppendLine("  the broker acknowledged it (idempotent producer, acks=all). The dispatcher is woken in-process by IOutbox.CommitAsync.");
    text.AppendLine($"- **Paced**: 10 writers, one event per transaction, {PacedRate:N0} events/s in total for {pacedDuration.TotalSeconds:F0} s.");
    text.AppendLine($"- **Max rate**: 8 writers, 10 events per transaction (plus one business row each), {MaxRateEvents:N0} events as fast as possible;");
    text.AppendLine("  throughput = events / (last acknowledgement - first write).");
    text.AppendLine($"- **Backlog drain**: {DrainEvents:N0} events already in the outbox (as after an outage), published by a dispatcher");
    text.AppendLine("  that starts on them: the dispatcher's own throughput, with no writers competing for the cores.");
    text.AppendLine($"- **Consume and handle**: {ConsumeEvents:N0} events pre-produced on {Partitions} partitions, handled by a consumer whose handler");
    text.AppendLine("  writes one row per message in the inbox transaction (batched inbox insert, one lane per partition); from first to last handled.");
    text.AppendLine();
    text.AppendLine($"## Outbox to broker, paced at {PacedRate:N0} events/s");
    text.AppendLine();
    text.AppendLine(header);
    text.AppendLine(Row("Commit-to-publish p50 (ms)", pacedRuns.Select(r => r.P50)));
    text.AppendLine(Row("Commit-to-publish p99 (ms)", pacedRuns.Select(r => r.P99)));
    text.AppendLine(Row("Commit-to-publish max (ms)", pacedRuns.Select(r => r.Max)));
    text.AppendLine(Row("Achieved rate (events/s)", pacedRuns.Select(r => r.Published)));
    text.AppendLine();
    text.AppendLine("## Outbox to broker, max rate");
    text.AppendLine();
    text.AppendLine(header);
    text.AppendLine(Row("Published (events/s)", maxRuns.Select(r => r.Published)));
    text.AppendLine(Row("Written (events/s)", maxRuns.Select(r => r.Written)));
    text.AppendLine(Row("Commit-to-publish p50 (ms)", maxRuns.Select(r => r.P50)));
    text.AppendLine(Row("Commit-to-publish p99 (ms)", maxRuns.Select(r => r.P99)));
    text.AppendLine();
    text.AppendLine($"## Outbox backlog drain ({DrainEvents:N0} events already in the outbox)");
    text.AppendLine();
    text.AppendLine(header);
    text.AppendLine(Row("Published (events/s)", drainRuns));
    text.AppendLine();
    text.AppendLine("## Consume and handle with the inbox");
    text.AppendLine();
    text.AppendLine(header);
    text.AppendLine(Row("Handled (messages/s)", consumeRuns));
    text.AppendLine();
    text.AppendLine("Targets: commit-to-publish p99 under 50 ms at 1,000 events/s; at least 5,000 events/s sustained.");
    text.AppendLine();
    text.AppendLine("Reading: at max rate the writers (PostgreSQL commits on the same two cores) set the pace: published equals written,");
    text.AppendLine("and latency grows with the queue of rounds. The backlog drain is the dispatcher's own capacity.");
    return text.ToString();
}

static string RepositoryRoot()
{
    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        if (File.Exists(Path.Combine(directory.FullName, "Checkout.sln")))
            return directory.FullName;
    throw new InvalidOperationException("Run the benchmark from within the repository (Checkout.sln not found above the binaries).");
}

internal sealed record OutboxRun(double Written, double Published, double P50, double P99, double Max);

/// <summary>Writes one row per message in the message's transaction and counts what it handled.</summary>
internal sealed class CountingHandler : IMessageHandler
{
    private static int _handled;
    private static long _first, _last;

    public static int Handled => Volatile.Read(ref _handled);
    public static long First => Interlocked.Read(ref _first);
    public static long Last => Interlocked.Read(ref _last);

    public static void Reset()
    {
        _handled = 0;
        _first = 0;
        _last = 0;
    }

    public async Task HandleAsync(ConsumedMessage message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "INSERT INTO orders (order_id) VALUES (@Key)", new { message.Key }, transaction, cancellationToken: cancellationToken));
        var now = Stopwatch.GetTimestamp();
        Interlocked.CompareExchange(ref _first, now, 0);
        Interlocked.Exchange(ref _last, now);
        Interlocked.Increment(ref _handled);
    }
}
