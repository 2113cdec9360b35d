// Stands in for Microsoft.Extensions.Http.Resilience's ResilienceHandler (same role and name), on Polly.Core.
using Polly;

namespace Checkout.ServiceDefaults.Resilience;

/// <summary>
/// Sends each request through a resilience pipeline. A retry re-sends the same <see cref="HttpRequestMessage"/>:
/// the "already sent" check lives in <see cref="HttpClient"/>, not in handlers, so SocketsHttpHandler accepts it
/// again. Buffered content (string, byte array, JSON, form) is serialized anew for every attempt; a
/// <see cref="StreamContent"/> is rewound when its stream can seek and otherwise fails the retry with
/// InvalidOperationException rather than sending a truncated body.
/// </summary>
public sealed class ResilienceHandler : DelegatingHandler
{
    private static readonly ResiliencePropertyKey<HttpRequestMessage> RequestMessageKey = new("Resilience.Http.RequestMessage");

    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public ResilienceHandler(ResiliencePipeline<HttpResponseMessage> pipeline)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        _pipeline = pipeline;
    }

    /// <summary>True for the handler that AddStandardResilienceHandler added, so a client's own replaces the default one.</summary>
    internal bool IsStandard { get; init; }

    internal static HttpRequestMessage? GetRequestMessage(ResilienceContext context) =>
        context.Properties.TryGetValue(RequestMessageKey, out var request) ? request : null;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var context = RentContext(request, cancellationToken);
        try
        {
            return await _pipeline.ExecuteAsync(
                static (context, state) => new ValueTask<HttpResponseMessage>(
                    state.Handler.SendAttemptAsync(state.Request, context.CancellationToken)),
                context,
                (Handler: this, Request: request)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var context = RentContext(request, cancellationToken);
        try
        {
            return _pipeline.Execute(
                static (context, state) => state.Handler.SendAttempt(state.Request, context.CancellationToken),
                context,
                (Handler: this, Request: request));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static ResilienceContext RentContext(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RequestMessageKey, request);
        return context;
    }

    private Task<HttpResponseMessage> SendAttemptAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);

    private HttpResponseMessage SendAttempt(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.Send(request, cancellationToken);
}

public static class HttpResilienceContextExtensions
{
    /// <summary>The request a pipeline run by <see cref="ResilienceHandler"/> is sending, for predicates that depend on it.</summary>
    public static HttpRequestMessage? GetRequestMessage(this ResilienceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ResilienceHandler.GetRequestMessage(context);
    }
}
