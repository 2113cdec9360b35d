using System.Collections.Concurrent;

namespace Checkout.Grpc.Tests;

/// <summary>
/// What our echo server saw, keyed by each request's message (every test uses keys of its own): the calls that
/// arrived (when, with which grpc-timeout), which trace each was served in, and which handlers saw their call's
/// cancellation.
/// </summary>
public sealed class EchoCallLog
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Arrival>> _arrivals = new();
    private readonly ConcurrentDictionary<string, string> _traceIds = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _cancellations = new();

    /// <summary>Records a call with this key and returns how many arrived so far, this one included.</summary>
    public int Received(string key, string? traceId, string grpcTimeout)
    {
        if (traceId is not null)
            _traceIds[key] = traceId;
        var arrivals = _arrivals.GetOrAdd(key, static _ => new ConcurrentQueue<Arrival>());
        lock (arrivals)
        {
            arrivals.Enqueue(new Arrival(DateTime.UtcNow, grpcTimeout));
            return arrivals.Count;
        }
    }

    public int CallsOf(string key) => _arrivals.TryGetValue(key, out var arrivals) ? arrivals.Count : 0;

    public IReadOnlyList<Arrival> ArrivalsOf(string key) => _arrivals.TryGetValue(key, out var arrivals) ? arrivals.ToList() : [];

    /// <summary>The W3C trace id the last call with this key was served in.</summary>
    public string? TraceIdOf(string key) => _traceIds.GetValueOrDefault(key);

    /// <summary>Completes when a handler serving this key sees its ServerCallContext.CancellationToken fire.</summary>
    public Task CancellationOf(string key) => CancellationSource(key).Task;

    public void CancellationObserved(string key) => CancellationSource(key).TrySetResult();

    private TaskCompletionSource CancellationSource(string key) =>
        _cancellations.GetOrAdd(key, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>One call as it arrived: when, and its grpc-timeout header ("" without a deadline).</summary>
    public sealed record Arrival(DateTime AtUtc, string GrpcTimeout);
}
