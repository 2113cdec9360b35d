using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Timeout;

namespace Checkout.Payments.Provider;

/// <summary>
/// Calls the payment provider through the resilience pipeline <see cref="PipelineName"/> (total timeout, retry with
/// exponential back-off and jitter, circuit breaker, attempt timeout; <see cref="PaymentProviderResilienceOptions"/>),
/// registered with Microsoft.Extensions.Resilience, which adds its metrics and logs. Only transient failures are
/// retried and counted by the breaker: an unavailable provider or an attempt that timed out. A decline is an answer
/// and is never retried. Retrying is safe because every call carries the order id as its idempotency key.
/// </summary>
public sealed partial class PaymentGateway(IPaymentProvider provider, ResiliencePipelineProvider<string> pipelines, ILogger<PaymentGateway> logger)
{
    public const string PipelineName = "payment-provider";

    private readonly ResiliencePipeline _pipeline = pipelines.GetPipeline(PipelineName);

    /// <summary>Registers the pipeline, its options bound from <see cref="PaymentProviderResilienceOptions.SectionName"/>, and this gateway.</summary>
    public static IHostApplicationBuilder AddPaymentGateway(IHostApplicationBuilder builder)
    {
        builder.Services.Configure<PaymentProviderResilienceOptions>(builder.Configuration.GetSection(PaymentProviderResilienceOptions.SectionName));
        builder.Services.AddResiliencePipeline(PipelineName, static (_pipeline, context) =>
        {
            var options = context.ServiceProvider.GetRequiredService<IOptions<PaymentProviderResilienceOptions>>().Value;
            var logger = context.ServiceProvider.GetRequiredService<ILogger<PaymentGateway>>();
            options.Retry.ShouldHandle = static args => ValueTask.FromResult(IsTransient(args.Outcome.Exception));
            options.Retry.OnRetry = args =>
            {
                LogRetry(logger, args.Outcome.Exception, args.AttemptNumber + 1, args.RetryDelay);
                return ValueTask.CompletedTask;
            };
            options.CircuitBreaker.ShouldHandle = static args => ValueTask.FromResult(IsTransient(args.Outcome.Exception));
            _pipeline
                .AddTimeout(options.TotalRequestTimeout)
                .AddRetry(options.Retry)
                .AddCircuitBreaker(options.CircuitBreaker)
                .AddTimeout(options.AttemptTimeout);
        });
        builder.Services.AddSingleton<PaymentGateway>();
        return builder;
    }

    public async Task<ChargeOutcome> ChargeAsync(Guid orderId, long amountMinor, string currency, string token, CancellationToken cancellationToken)
    {
        var attempts = 0;
        try
        {
            var result = await _pipeline.ExecuteAsync(async ct =>
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
        await _pipeline.ExecuteAsync(
            async ct => await provider.RefundAsync(orderId.ToString(), amountMinor, currency, ct), cancellationToken);

    private static bool IsTransient(Exception? exception) => exception is PaymentProviderUnavailableException or TimeoutRejectedException;

    [LoggerMessage(LogLevel.Warning, "Payment provider call failed transiently; attempt {Attempt} after {Delay}")]
    private static partial void LogRetry(ILogger logger, Exception? exception, int attempt, TimeSpan delay);

    [LoggerMessage(LogLevel.Warning, "Payment provider unavailable for order {OrderId}")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, Guid orderId);
}
