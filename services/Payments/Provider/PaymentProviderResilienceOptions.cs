using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Checkout.Payments.Provider;

/// <summary>
/// The strategies around a call to the payment provider, outermost first, bound from "PaymentProvider:Resilience"
/// (the same names and defaults as Microsoft.Extensions.Http.Resilience's standard handler). Which failures are
/// transient is the provider's to say: <see cref="PaymentGateway"/> sets it.
/// </summary>
public sealed class PaymentProviderResilienceOptions
{
    public const string SectionName = "PaymentProvider:Resilience";

    public TimeoutStrategyOptions TotalRequestTimeout { get; set; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public RetryStrategyOptions Retry { get; set; } = new()
    {
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        MaxRetryAttempts = 3,
        Delay = TimeSpan.FromSeconds(2),
    };

    public CircuitBreakerStrategyOptions CircuitBreaker { get; set; } = new();

    public TimeoutStrategyOptions AttemptTimeout { get; set; } = new() { Timeout = TimeSpan.FromSeconds(10) };
}
