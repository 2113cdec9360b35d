using System.Collections.Concurrent;

namespace Checkout.Grpc.Tests;

/// <summary>
/// What our echo server saw, keyed by each request's message (every test uses keys of its own): how many calls arrived,
/// which trace each was served in, and which handlers saw their call's cancellation.
/// </summary>
public sealed class EchoCallLog
{
    private readonly ConcurrentDictionary<string, int> _calls = new();
    private readonly ConcurrentDictionary<string, string> _traceIds = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _cancellations = new();

    /// <summary>Counts a call with this key and returns how many arrived so far, this one included.</summary>
    public int Received(string key, string? traceId)
    {
        if (traceId is not null) _traceIds[key] = traceId;
        return _calls.AddOrUpdate(key, 1, static (_, count) => count + 1);
    }

    public int CallsOf(string key) => _calls.GetValueOrDefault(key);

    /// <summary>The W3C trace id the last call with this key was served in.</summary>
    public string? TraceIdOf(string key) => _traceIds.GetValueOrDefault(key);

    /// <summary>Completes when a handler serving this key sees its ServerCallContext.CancellationToken fire.</summary>
    public Task CancellationOf(string key) => CancellationSource(key).Task;

    public void CancellationObserved(string key) => CancellationSource(key).TrySetResult();

    private TaskCompletionSource CancellationSource(string key) =>
        _cancellations.GetOrAdd(key, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
