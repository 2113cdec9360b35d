// Stands in for Microsoft.Extensions.Http.Resilience (not available from this machine's NuGet source): the option
// types of its standard pipeline, with the same names and defaults, built on Polly.Core. Not its code.
using System.Net;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Checkout.ServiceDefaults.Resilience;

/// <summary>
/// The standard HTTP pipeline, outermost first: total request timeout, retry, circuit breaker, attempt timeout.
/// Bind from configuration with <c>AddStandardResilienceHandler().Configure(section)</c>; for example the section
/// <c>HttpClientDefaults:Resilience</c> may hold <c>Retry:MaxRetryAttempts</c> or <c>AttemptTimeout:Timeout</c>.
/// </summary>
public class HttpStandardResilienceOptions
{
    public HttpTimeoutStrategyOptions TotalRequestTimeout { get; set; } = new()
    {
        Name = "Standard-TotalRequestTimeout",
        Timeout = StandardResilienceDefaults.TotalRequestTimeout,
    };

    public HttpRetryStrategyOptions Retry { get; set; } = new() { Name = "Standard-Retry" };

    public HttpCircuitBreakerStrategyOptions CircuitBreaker { get; set; } = new() { Name = "Standard-CircuitBreaker" };

    public HttpTimeoutStrategyOptions AttemptTimeout { get; set; } = new()
    {
        Name = "Standard-AttemptTimeout",
        Timeout = StandardResilienceDefaults.AttemptTimeout,
    };
}

public class HttpTimeoutStrategyOptions : TimeoutStrategyOptions
{
}

/// <summary>
/// Three retries, exponential back-off from 2 s with jitter, of transient failures of idempotent requests
/// (POST and PATCH are not retried: the server may have acted on them). A Retry-After header, when present,
/// sets the delay. Replace <see cref="RetryStrategyOptions{TResult}.ShouldHandle"/> to choose otherwise.
/// </summary>
public class HttpRetryStrategyOptions : RetryStrategyOptions<HttpResponseMessage>
{
    public HttpRetryStrategyOptions()
    {
        BackoffType = DelayBackoffType.Exponential;
        UseJitter = true;
        MaxRetryAttempts = StandardResilienceDefaults.MaxRetryAttempts;
        Delay = StandardResilienceDefaults.RetryDelay;
        ShouldHandle = static args => ValueTask.FromResult(
            HttpClientResiliencePredicates.IsTransient(args.Outcome)
            && HttpClientResiliencePredicates.IsIdempotent(args.Context.GetRequestMessage()?.Method));
        DelayGenerator = args => ValueTask.FromResult(ShouldRetryAfterHeader ? RetryAfter(args.Outcome.Result) : null);
    }

    /// <summary>Wait as long as the server's Retry-After header asks, instead of the computed back-off.</summary>
    public bool ShouldRetryAfterHeader { get; set; } = true;

    private static TimeSpan? RetryAfter(HttpResponseMessage? response)
    {
        var retryAfter = response?.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta;
        }

        if (retryAfter?.Date is { } date)
        {
            var wait = date - TimeProvider.System.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }
}

/// <summary>
/// Opens for 5 s when at least 10 % of at least 100 requests in 30 s failed transiently (Polly's and
/// Microsoft.Extensions.Http.Resilience's defaults).
/// </summary>
public class HttpCircuitBreakerStrategyOptions : CircuitBreakerStrategyOptions<HttpResponseMessage>
{
    public HttpCircuitBreakerStrategyOptions()
    {
        ShouldHandle = static args => ValueTask.FromResult(HttpClientResiliencePredicates.IsTransient(args.Outcome));
    }
}

/// <summary>What the standard pipeline treats as transient and safe to repeat.</summary>
public static class HttpClientResiliencePredicates
{
    /// <summary>A connection failure, an attempt timeout, 408, 429 or any 5xx.</summary>
    public static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Result: { } response } => IsTransient(response.StatusCode),
        _ => false,
    };

    public static bool IsTransient(HttpStatusCode statusCode) =>
        (int)statusCode >= 500 || statusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    /// <summary>GET, HEAD, PUT, DELETE, OPTIONS and TRACE (RFC 9110 section 9.2.2).</summary>
    public static bool IsIdempotent(HttpMethod? method) =>
        method is not null
        && (method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Put
            || method == HttpMethod.Delete || method == HttpMethod.Options || method == HttpMethod.Trace);
}
