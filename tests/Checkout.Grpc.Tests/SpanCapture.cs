using System.Collections.Concurrent;
using System.Diagnostics;
using OpenTelemetry;

namespace Checkout.Grpc.Tests;

/// <summary>
/// A tracer provider's processor that keeps every span the provider records, as its exporter would receive them:
/// added to a host's OpenTelemetry set-up, it shows what that host exports and nothing the provider dropped.
/// </summary>
public sealed class SpanCapture : BaseProcessor<Activity>
{
    private readonly ConcurrentQueue<Activity> _spans = new();

    public IReadOnlyCollection<Activity> Spans => _spans;

    public IReadOnlyList<Activity> OfTrace(string traceId) => _spans.Where(span => span.TraceId.ToHexString() == traceId).ToList();

    public override void OnEnd(Activity data) => _spans.Enqueue(data);
}
