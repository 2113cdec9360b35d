// Stands in for Microsoft.Extensions.Http.Resilience's AddStandardResilienceHandler (same names and contract,
// not its code): one standard pipeline per HTTP client, configured through named options.
using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;
using Polly;

namespace Checkout.ServiceDefaults.Resilience;

/// <summary>Returned by AddStandardResilienceHandler to configure that handler's options.</summary>
public interface IHttpStandardResiliencePipelineBuilder
{
    /// <summary>The name of its <see cref="HttpStandardResilienceOptions"/>: "{client}-standard", or "standard" for the client defaults.</summary>
    string PipelineName { get; }

    IServiceCollection Services { get; }
}

public static class HttpStandardResilienceExtensions
{
    /// <summary>
    /// Adds the standard pipeline (total timeout, retry, circuit breaker, attempt timeout) as the outermost handler
    /// added so far. Each named client gets its own pipeline instance, so one failing dependency opens only its own
    /// circuit. A client's own standard handler replaces the one from ConfigureHttpClientDefaults.
    /// Options are read once, when a client's pipeline is first built.
    /// </summary>
    public static IHttpStandardResiliencePipelineBuilder AddStandardResilienceHandler(
        this IHttpClientBuilder builder, Action<HttpStandardResilienceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var pipelineBuilder = new StandardPipelineBuilder(
            builder.Name is null ? "standard" : $"{builder.Name}-standard", builder.Services);

        builder.Services.TryAddSingleton<HttpStandardResiliencePipelines>();
        builder.Services.TryAddEnumerable(
            ServiceDescriptor.Singleton<IValidateOptions<HttpStandardResilienceOptions>, HttpStandardResilienceOptionsValidator>());
        if (configure is not null)
        {
            pipelineBuilder.Configure(configure);
        }

        var isClientDefault = builder.Name is null;
        builder.Services.Configure<HttpClientFactoryOptions>(builder.Name, options =>
            options.HttpMessageHandlerBuilderActions.Add(handlers => AddOrReplace(handlers, pipelineBuilder.PipelineName, isClientDefault)));
        return pipelineBuilder;
    }

    public static IHttpStandardResiliencePipelineBuilder Configure(
        this IHttpStandardResiliencePipelineBuilder builder, Action<HttpStandardResilienceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure(builder.PipelineName, configure);
        return builder;
    }

    /// <summary>Binds the options from a configuration section (keys named like the option properties).</summary>
    public static IHttpStandardResiliencePipelineBuilder Configure(
        this IHttpStandardResiliencePipelineBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure<HttpStandardResilienceOptions>(builder.PipelineName, section);
        return builder;
    }

    /// <summary>Adds the standard strategies to a pipeline, for clients that are not built by IHttpClientFactory.</summary>
    public static ResiliencePipelineBuilder<HttpResponseMessage> AddStandardHttpResilience(
        this ResiliencePipelineBuilder<HttpResponseMessage> builder, HttpStandardResilienceOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder
            .AddTimeout(options.TotalRequestTimeout)
            .AddRetry(options.Retry)
            .AddCircuitBreaker(options.CircuitBreaker)
            .AddTimeout(options.AttemptTimeout);
    }

    private static void AddOrReplace(HttpMessageHandlerBuilder handlers, string pipelineName, bool isClientDefault)
    {
        var pipeline = handlers.Services.GetRequiredService<HttpStandardResiliencePipelines>().Get(pipelineName, handlers.Name ?? string.Empty);
        var handler = new ResilienceHandler(pipeline) { IsStandard = true };
        for (var i = 0; i < handlers.AdditionalHandlers.Count; i++)
        {
            if (handlers.AdditionalHandlers[i] is ResilienceHandler { IsStandard: true })
            {
                if (!isClientDefault)
                {
                    handlers.AdditionalHandlers[i] = handler;
                }

                return;
            }
        }

        handlers.AdditionalHandlers.Add(handler);
    }

    private sealed record StandardPipelineBuilder(string PipelineName, IServiceCollection Services) : IHttpStandardResiliencePipelineBuilder;
}

/// <summary>
/// Keeps one pipeline per (options, client) for the container's lifetime: IHttpClientFactory rebuilds handler
/// chains every few minutes, and the circuit breaker's state must outlive them.
/// </summary>
internal sealed class HttpStandardResiliencePipelines(IOptionsMonitor<HttpStandardResilienceOptions> options)
{
    private readonly ConcurrentDictionary<(string PipelineName, string ClientName), ResiliencePipeline<HttpResponseMessage>> _pipelines = new();

    public ResiliencePipeline<HttpResponseMessage> Get(string pipelineName, string clientName) =>
        _pipelines.GetOrAdd((pipelineName, clientName), key =>
            new ResiliencePipelineBuilder<HttpResponseMessage> { Name = key.PipelineName, InstanceName = key.ClientName }
                .AddStandardHttpResilience(options.Get(key.PipelineName))
                .Build());
}

/// <summary>The cross-strategy rules Polly cannot check strategy by strategy.</summary>
internal sealed class HttpStandardResilienceOptionsValidator : IValidateOptions<HttpStandardResilienceOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpStandardResilienceOptions options)
    {
        List<string> failures = [];
        if (options.AttemptTimeout.Timeout > options.TotalRequestTimeout.Timeout)
        {
            failures.Add($"AttemptTimeout.Timeout ({options.AttemptTimeout.Timeout}) must not exceed TotalRequestTimeout.Timeout ({options.TotalRequestTimeout.Timeout}).");
        }

        if (options.CircuitBreaker.SamplingDuration < 2 * options.AttemptTimeout.Timeout)
        {
            failures.Add($"CircuitBreaker.SamplingDuration ({options.CircuitBreaker.SamplingDuration}) must be at least twice AttemptTimeout.Timeout ({options.AttemptTimeout.Timeout}), or slow attempts are never counted.");
        }

        return failures.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(failures.Select(failure => $"HttpStandardResilienceOptions '{name}': {failure}"));
    }
}
