// The single cross-cutting entry of every Checkout service, modelled on the .NET Aspire ServiceDefaults template
// and, like it, in namespace Microsoft.Extensions.Hosting so that `builder.AddServiceDefaults()` needs no using.
// The libraries the template uses that this machine lacks (OpenTelemetry.Extensions.Hosting and
// .Instrumentation.*, Microsoft.Extensions.ServiceDiscovery, Microsoft.Extensions.Http.Resilience) are stood in
// for by Checkout.ServiceDefaults.Telemetry, .ServiceDiscovery and .Resilience.
using Checkout.ServiceDefaults.Health;
using Checkout.ServiceDefaults.Resilience;
using Checkout.ServiceDefaults.ServiceDiscovery;
using Checkout.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

public static class Extensions
{
    /// <summary>Telemetry, health checks, service discovery and standard resilience for every HttpClient.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            // Same order as the Aspire template: resilience outermost, so every retry resolves the address again.
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    /// <summary>
    /// Traces, metrics and logs through OpenTelemetry, exported over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT is
    /// set. The SDK reads the other OTEL_* settings (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
    /// OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_TRACES_SAMPLER, OTEL_BSP_SCHEDULE_DELAY, ...) from the host's
    /// configuration, which includes the environment. Console log lines carry the trace and span ids.
    /// </summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var exportOtlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var configureResource = ResourceFor(builder.Environment.ApplicationName);

        builder.Logging.Configure(options => options.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        builder.Logging.AddConsole();
        // One line per entry, ending with its scopes, among them "TraceId:...", so each line names its trace.
        builder.Services.Configure<SimpleConsoleFormatterOptions>(options =>
        {
            options.SingleLine = true;
            options.IncludeScopes = true;
            options.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Services.Configure<JsonConsoleFormatterOptions>(options => options.IncludeScopes = true);

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });
        builder.Services.ConfigureOpenTelemetryLoggerProvider(logging =>
        {
            logging.ConfigureResource(configureResource);
            if (exportOtlp)
            {
                logging.AddOtlpExporter();
            }
        });

        // Built from the SDK's own builders because their DI-hosted form lives in the missing Extensions.Hosting;
        // the host's configuration is handed to them so OTEL_* settings from any configuration source apply.
        builder.Services.AddSingleton(services =>
        {
            var tracing = Sdk.CreateTracerProviderBuilder()
                .ConfigureServices(sdkServices => sdkServices.AddSingleton(services.GetRequiredService<IConfiguration>()))
                .ConfigureResource(configureResource)
                .AddSource([.. TelemetrySources.ActivitySources]);
            return (exportOtlp ? tracing.AddOtlpExporter() : tracing).Build();
        });
        builder.Services.AddSingleton(services =>
        {
            var metrics = Sdk.CreateMeterProviderBuilder()
                .ConfigureServices(sdkServices => sdkServices.AddSingleton(services.GetRequiredService<IConfiguration>()))
                .ConfigureResource(configureResource)
                .AddMeter([.. TelemetrySources.Meters]);
            return (exportOtlp ? metrics.AddOtlpExporter() : metrics).Build();
        });
        builder.Services.AddHostedService<TelemetryHostedService>();
        builder.Services.AddSingleton<IStartupFilter, HttpServerTracing>();
        return builder;
    }

    /// <summary>A "self" check tagged "live"; services add their database and broker checks after this.</summary>
    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [HealthEndpoints.LiveTag]);
        return builder;
    }

    /// <summary>
    /// Maps /health (every check) and /alive (checks tagged "live") in every environment: they answer 200 or 503
    /// with check names and statuses only.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks(HealthEndpoints.HealthPath, new HealthCheckOptions
        {
            ResponseWriter = HealthEndpoints.WriteReportAsync,
        });
        app.MapHealthChecks(HealthEndpoints.AlivePath, new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains(HealthEndpoints.LiveTag),
            ResponseWriter = HealthEndpoints.WriteReportAsync,
        });
        return app;
    }

    // service.name defaults to the application name; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (read after
    // it) override it. One instance id per process, so traces, metrics and logs agree.
    private static Action<ResourceBuilder> ResourceFor(string applicationName)
    {
        var instanceId = Guid.NewGuid().ToString();
        return resource => resource.Clear()
            .AddService(applicationName, serviceInstanceId: instanceId)
            .AddTelemetrySdk()
            .AddEnvironmentVariableDetector();
    }
}
