using System.Net;
using Grpc.Core;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.CircuitBreaker;
using Polly.Fallback;
using Polly.Retry;

namespace Checkout.ServiceDefaults.Grpc;

/// <summary>
/// The resilience pipeline of a gRPC client's HttpClient, built from Microsoft.Extensions.Http.Resilience's strategies
/// and made safe for gRPC. A gRPC call is a POST that the server may have acted on, so only what gRPC itself calls
/// safe to retry is retried: UNAVAILABLE before any response (the connection failed, or the server answered
/// trailers-only with grpc-status 14), never after response headers or a message arrived, and never past the call's
/// deadline, which Grpc.Net.Client turns into the cancellation of this whole pipeline. So there is no timeout here:
/// the deadline is the timeout. A circuit breaker stops calling a service whose calls keep ending UNAVAILABLE once
/// their retries are spent; while it is open, calls end at once with UNAVAILABLE. It judges calls, not attempts: the
/// retries resolve the address again each time (AddGrpcServiceClient puts them outside service discovery), so with one
/// replica down about half the attempts fail while every call succeeds, and a breaker counting attempts would cut off
/// the whole service for the sake of one replica.
/// </summary>
public static class GrpcResilience
{
    public const string PipelineName = "grpc";

    private const string GrpcStatusHeader = "grpc-status";
    private const string Unavailable = "14";

    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> pipeline)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        pipeline
            .AddFallback(new FallbackStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Exception is BrokenCircuitException),
                // Grpc.Net.Client reports an RpcException thrown by its HttpClient as the call's status.
                FallbackAction = static args => Outcome.FromExceptionAsValueTask<HttpResponseMessage>(new RpcException(new Status(
                    StatusCode.Unavailable, "the service failed repeatedly and is not called for a few seconds; try again", args.Outcome.Exception))),
            })
            // Outside the retries: it sees each call's last outcome (see above).
            .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
            {
                ShouldHandle = static args => ValueTask.FromResult(IsUnavailable(args.Outcome)),
            })
            .AddRetry(new HttpRetryStrategyOptions
            {
                ShouldHandle = static args => ValueTask.FromResult(IsUnavailable(args.Outcome)),
                MaxRetryAttempts = 3,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(100),
            });
    }

    /// <summary>True for an attempt that ended UNAVAILABLE before the server sent any response of its own.</summary>
    public static bool IsUnavailable(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        // The connection could not be made, so the request never reached the server. A connection lost later may
        // have carried the call to a server that acted on it: that is not retried.
        { Exception: HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } } => true,
        // Trailers-only: the status arrived with the headers, so nothing of the response was seen yet.
        { Result: { } response } => response.Headers.NonValidated.TryGetValues(GrpcStatusHeader, out var status)
            ? status.ToString() == Unavailable
            : response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout or HttpStatusCode.TooManyRequests,
        _ => false,
    };
}
