// The single cross-cutting entry of every Checkout service, in the shape of the .NET Aspire ServiceDefaults template
// and, like it, in namespace Microsoft.Extensions.Hosting so that `builder.AddServiceDefaults()` needs no using.
// What it adds to the template: console lines that name their trace, our own ActivitySources and Meters
// ("Checkout.*"), health answers that list each check's name and status, and no resilience handler on the OTLP
// exporter's own HttpClient.
using Checkout.ServiceDefaults.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

public static class Extensions
{
    /// <summary>The prefix of every ActivitySource and Meter of our own code (for example "Checkout.Messaging").</summary>
    public const string TelemetryPrefix = "Checkout.*";

    // The OTLP exporter creates its HttpClient through IHttpClientFactory under these names (http/protobuf).
    private static readonly string[] OtlpExporterClients = ["OtlpTraceExporter", "OtlpMetricExporter", "OtlpLogExporter"];

    /// <summary>
    /// Telemetry, health checks, service discovery, and standard resilience for every HttpClient (its retries limited
    /// to the idempotent methods: GET, HEAD, OPTIONS, TRACE, PUT, DELETE).
    /// </summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            // Resilience outermost, so that every retry resolves the service's address again. The standard handler
            // retries every method by default; a POST or PATCH the server may have acted on must not be sent twice.
            http.AddStandardResilienceHandler(options => options.Retry.DisableFor(HttpMethod.Post, HttpMethod.Patch, HttpMethod.Connect));
            http.AddServiceDiscovery();
        });
        // Telemetry goes through no resilience handler: each export's attempts would be logged (more telemetry to
        // export), and with no collector listening its retries (were POST retried) and circuit breaker would only add
        // to that. The exporter drops a batch it cannot send.
        foreach (var name in OtlpExporterClients)
        {
            builder.Services.AddHttpClient(name).RemoveAllResilienceHandlers();
        }

        return builder;
    }

    /// <summary>
    /// Traces, metrics and logs through OpenTelemetry, exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (the
    /// Aspire dashboard's endpoint, under an Aspire host). The SDK reads the other OTEL_* settings (OTEL_SERVICE_NAME,
    /// OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_PROTOCOL, ...) from configuration. Console lines carry the trace id.
    /// </summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.Configure(options => options.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        // One line per entry, ending with its scopes, among them "TraceId:...", so that each line names its trace.
        builder.Services.Configure<SimpleConsoleFormatterOptions>(options =>
        {
            options.SingleLine = true;
            options.IncludeScopes = true;
            options.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        // service.name defaults to the application name; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, read after it,
        // override it (an Aspire host sets both).
        var applicationName = builder.Environment.ApplicationName;
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.Clear().AddService(applicationName).AddTelemetrySdk().AddEnvironmentVariableDetector())
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(TelemetryPrefix))
            .WithTracing(tracing => tracing
                .AddSource(applicationName, TelemetryPrefix)
                // Probes would flood the traces.
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context => !HealthEndpoints.IsProbe(context.Request.Path))
                // One client span per gRPC call, not one for the call and another for its HTTP request.
                .AddGrpcClientInstrumentation(grpc => grpc.SuppressDownstreamInstrumentation = true)
                .AddHttpClientInstrumentation());

        builder.AddOpenTelemetryExporters();
        return builder;
    }

    private static TBuilder AddOpenTelemetryExporters<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

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
    /// Maps /health (every check) and /alive (checks tagged "live") in every environment: they answer 200 or 503 with
    /// check names and statuses only, never a description or an exception, so they are safe to expose.
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
}
