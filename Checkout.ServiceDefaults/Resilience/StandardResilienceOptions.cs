// The standard pipeline's shape for calls that are not HTTP (a payment provider's SDK, a database driver): the same
// strategies and defaults as HttpStandardResilienceOptions, with outcomes the caller classifies.
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Checkout.ServiceDefaults.Resilience;

/// <summary>
/// Total timeout, retry, circuit breaker and attempt timeout, outermost first, with the standard HTTP pipeline's
/// defaults. Bind from configuration (for example the section <c>PaymentProvider:Resilience</c>), then set
/// <see cref="RetryStrategyOptions{TResult}.ShouldHandle"/> and <see cref="CircuitBreakerStrategyOptions{TResult}.ShouldHandle"/>
/// to the failures that are transient for that dependency: Polly's default handles every exception.
/// </summary>
public class StandardResilienceOptions
{
    public TimeoutStrategyOptions TotalRequestTimeout { get; set; } = new()
    {
        Name = "Standard-TotalRequestTimeout",
        Timeout = StandardResilienceDefaults.TotalRequestTimeout,
    };

    public RetryStrategyOptions Retry { get; set; } = new()
    {
        Name = "Standard-Retry",
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        MaxRetryAttempts = StandardResilienceDefaults.MaxRetryAttempts,
        Delay = StandardResilienceDefaults.RetryDelay,
    };

    public CircuitBreakerStrategyOptions CircuitBreaker { get; set; } = new() { Name = "Standard-CircuitBreaker" };

    public TimeoutStrategyOptions AttemptTimeout { get; set; } = new()
    {
        Name = "Standard-AttemptTimeout",
        Timeout = StandardResilienceDefaults.AttemptTimeout,
    };
}

/// <summary>The numbers both standard pipelines start from (Microsoft.Extensions.Http.Resilience's defaults).</summary>
public static class StandardResilienceDefaults
{
    public static readonly TimeSpan TotalRequestTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);
    public const int MaxRetryAttempts = 3;
}

public static class StandardResilienceExtensions
{
    /// <summary>Adds the standard strategies, outermost first: total timeout, retry, circuit breaker, attempt timeout.</summary>
    public static ResiliencePipelineBuilder AddStandardResilience(this ResiliencePipelineBuilder builder, StandardResilienceOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder
            .AddTimeout(options.TotalRequestTimeout)
            .AddRetry(options.Retry)
            .AddCircuitBreaker(options.CircuitBreaker)
            .AddTimeout(options.AttemptTimeout);
    }
}
