using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Checkout.Contracts.Orders.V1;
using Checkout.Testing.AppHost;

namespace Checkout.Bench.Saga;

/// <summary>Places checkouts and times them: PlaceOrder's answer, and the saga's end as seen on the "orders" topic.</summary>
internal sealed class Checkouts(CheckoutClient client, ConfirmationWatcher watcher, IReadOnlyList<string> skus)
{
    private static readonly TimeSpan CompletionTimeout = TimeSpan.FromSeconds(60);
    private int _sequence;

    /// <summary>Starts a checkout every 1/<paramref name="rate"/> s (open loop: a slow answer does not slow the pace).</summary>
    public async Task<RunResult> PacedAsync(double rate, TimeSpan duration)
    {
        var run = new RunRecorder();
        var started = new List<Task>();
        var count = (int)(rate * duration.TotalSeconds);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds(i / rate);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }

            started.Add(CheckoutAsync(run));
        }

        await Task.WhenAll(started);
        return run.Finish(clock.Elapsed);
    }

    /// <summary>Keeps <paramref name="inFlight"/> checkouts going (each starts when one ends); counts those confirmed within the window.</summary>
    public async Task<RunResult> ClosedLoopAsync(int inFlight, TimeSpan duration)
    {
        var run = new RunRecorder();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
        {
            while (clock.Elapsed < duration)
            {
                await CheckoutAsync(run, countOnlyBefore: duration, clock);
            }
        }));
        return run.Finish(duration);
    }

    private async Task CheckoutAsync(RunRecorder run, TimeSpan? countOnlyBefore = null, Stopwatch? clock = null)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        var request = new PlaceOrderRequest
        {
            CustomerId = "bench-" + (sequence % 1000).ToString(CultureInfo.InvariantCulture),
            PaymentToken = "tok_visa",
            IdempotencyKey = Guid.NewGuid().ToString(),
            Lines = { new OrderLineRequest { Sku = skus[sequence % skus.Count], Quantity = 1 } },
        };
        var sent = Stopwatch.GetTimestamp();
        PlaceOrderResponse placed;
        try
        {
            placed = await client.PlaceOrderAsync(request);
        }
        catch (Exception exception)
        {
            run.Failed(exception.Message);
            return;
        }

        var answered = Stopwatch.GetTimestamp();
        try
        {
            var outcome = await watcher.OutcomeOf(placed.OrderId).WaitAsync(CompletionTimeout);
            var inWindow = countOnlyBefore is null || clock!.Elapsed < countOnlyBefore;
            if (!outcome.Confirmed)
            {
                run.Failed("cancelled");
            }
            else if (inWindow)
            {
                run.Completed(Stopwatch.GetElapsedTime(sent, answered), Stopwatch.GetElapsedTime(sent, outcome.SeenAt));
            }
        }
        catch (TimeoutException)
        {
            // Tell a saga that is stuck from an outcome the watcher missed (the embedded broker keeps a bounded log).
            var order = await client.GetOrderAsync(placed.OrderId);
            run.Failed($"not seen settled on the topic within {CompletionTimeout.TotalSeconds:0} s (Orders says: {order.Status})");
        }
    }
}

/// <summary>Collects one run's measurements from concurrent checkouts.</summary>
internal sealed class RunRecorder
{
    private readonly ConcurrentQueue<(double Place, double Confirm)> _completed = new();
    private readonly ConcurrentDictionary<string, int> _failures = new();

    public void Completed(TimeSpan place, TimeSpan confirm) => _completed.Enqueue((place.TotalMilliseconds, confirm.TotalMilliseconds));

    public void Failed(string reason) => _failures.AddOrUpdate(reason, 1, (_, count) => count + 1);

    public RunResult Finish(TimeSpan elapsed)
    {
        var place = _completed.Select(sample => sample.Place).Order().ToArray();
        var confirm = _completed.Select(sample => sample.Confirm).Order().ToArray();
        return new RunResult(place.Length, elapsed, Percentile(place, 0.50), Percentile(place, 0.99),
            Percentile(confirm, 0.50), Percentile(confirm, 0.99), _failures.ToDictionary());
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1)];
}

internal sealed record RunResult(
    int Completed, TimeSpan Elapsed, double PlaceP50, double PlaceP99, double ConfirmP50, double ConfirmP99, IReadOnlyDictionary<string, int> Failures)
{
    public double PerSecond => Completed / Elapsed.TotalSeconds;

    private string FailureSummary => Failures.Count == 0 ? "0" : string.Join("; ", Failures.Select(failure => $"{failure.Value} {failure.Key}"));

    public string Row(string name) => string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {Completed:N0} | {PerSecond:0} | {PlaceP50:0.0} | {PlaceP99:0.0} | {ConfirmP50:0.0} | {ConfirmP99:0.0} | {FailureSummary} |");

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Completed:N0} confirmed in {Elapsed.TotalSeconds:0} s = {PerSecond:0}/s; PlaceOrder p50 {PlaceP50:0.0} ms p99 {PlaceP99:0.0} ms; " +
        $"placed-to-confirmed p50 {ConfirmP50:0.0} ms p99 {ConfirmP99:0.0} ms; not confirmed: {FailureSummary}");
}
