using Checkout.ServiceDefaults.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Checkout.Payments.Provider;

/// <summary>The outcome of a charge as the saga sees it, with the number of provider calls it took.</summary>
public sealed record ChargeOutcome(bool Captured, string Reference, string FailureReason, int Attempts);

/// <summary>
/// Calls the payment provider through the standard resilience pipeline (total timeout, retry with exponential
/// back-off and jitter, circuit breaker, attempt timeout), configured from "PaymentProvider:Resilience". Only
/// transient failures are retried and counted by the breaker: an unavailable provider or an attempt that timed
/// out. A decline is an answer and is never retried. Retrying is safe because every call carries the order id
/// as its idempotency key.
/// </summary>
public sealed partial class PaymentGateway
{
    public const string OptionsName = "PaymentProvider";
    public const string SectionName = "PaymentProvider:Resilience";

    private readonly IPaymentProvider provider;
    private readonly ResiliencePipeline pipeline;
    private readonly ILogger<PaymentGateway> logger;

    public PaymentGateway(IPaymentProvider provider, IOptionsMonitor<StandardResilienceOptions> options, ILogger<PaymentGateway> logger)
    {
        this.provider = provider;
        this.logger = logger;
        var settings = options.Get(OptionsName);
        settings.Retry.ShouldHandle = static args => ValueTask.FromResult(IsTransient(args.Outcome.Exception));
        settings.Retry.OnRetry = args =>
        {
            LogRetry(logger, args.Outcome.Exception, args.AttemptNumber + 1, args.RetryDelay);
            return ValueTask.CompletedTask;
        };
        settings.CircuitBreaker.ShouldHandle = static args => ValueTask.FromResult(IsTransient(args.Outcome.Exception));
        pipeline = new ResiliencePipelineBuilder { Name = OptionsName }.AddStandardResilience(settings).Build();
    }

    public async Task<ChargeOutcome> ChargeAsync(Guid orderId, long amountMinor, string currency, string token, CancellationToken cancellationToken)
    {
        var attempts = 0;
        try
        {
            var result = await pipeline.ExecuteAsync(async ct =>
            {
                Interlocked.Increment(ref attempts);
                return await provider.ChargeAsync(orderId.ToString(), amountMinor, currency, token, ct);
            }, cancellationToken);
            return new ChargeOutcome(result.Captured, result.Reference, result.DeclineReason, attempts);
        }
        catch (TimeoutRejectedException)
        {
            return new ChargeOutcome(false, "", "payment provider timed out", attempts);
        }
        catch (Exception exception) when (exception is PaymentProviderUnavailableException or BrokenCircuitException)
        {
            LogUnavailable(logger, exception, orderId);
            return new ChargeOutcome(false, "", "payment provider unavailable", attempts);
        }
    }

    /// <summary>Refunds through the same pipeline; a failure propagates so the cancellation is handled again later.</summary>
    public async Task<string> RefundAsync(Guid orderId, long amountMinor, string currency, CancellationToken cancellationToken) =>
        await pipeline.ExecuteAsync(
            async ct => await provider.RefundAsync(orderId.ToString(), amountMinor, currency, ct), cancellationToken);

    private static bool IsTransient(Exception? exception) => exception is PaymentProviderUnavailableException or TimeoutRejectedException;

    [LoggerMessage(LogLevel.Warning, "Payment provider call failed transiently; attempt {Attempt} after {Delay}")]
    private static partial void LogRetry(ILogger logger, Exception? exception, int attempt, TimeSpan delay);

    [LoggerMessage(LogLevel.Warning, "Payment provider unavailable for order {OrderId}")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, Guid orderId);
}
