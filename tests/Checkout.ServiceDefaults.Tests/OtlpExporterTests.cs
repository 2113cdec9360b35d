using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Checkout.ServiceDefaults.Tests;

/// <summary>
/// The OTLP exporter's own HttpClients (OtlpTraceExporter, OtlpMetricExporter, OtlpLogExporter) come from the
/// HttpClientFactory, where AddServiceDefaults gives every client the standard resilience handler; ours take it off.
/// </summary>
public sealed class OtlpExporterTests
{
    private const int FlushTimeoutMilliseconds = 30_000;

    [Fact]
    public async Task A_collector_answering_503_gets_each_export_once_and_no_retry_is_logged()
    {
        await using var collector = await OtlpReceiver.StartAsync(StatusCodes.Status503ServiceUnavailable);
        var logs = new LogRecorder();
        await using var service = await RunningApp.StartAsync(
            builder =>
            {
                builder.Logging.AddProvider(logs);
                builder.AddServiceDefaults();
            },
            app => app.MapGet("/hello", (ILogger<OtlpExporterTests> logger) =>
            {
                logger.LogInformation("Said hello");
                return "hello";
            }),
            new Dictionary<string, string?>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.App.Address.ToString(),
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                // Nothing is exported on a schedule during the test: only the flushes below export.
                ["OTEL_BSP_SCHEDULE_DELAY"] = "600000",
                ["OTEL_BLRP_SCHEDULE_DELAY"] = "600000",
                ["OTEL_METRIC_EXPORT_INTERVAL"] = "600000",
            });
        using var client = new HttpClient { BaseAddress = service.Address };
        Assert.Equal("hello", await client.GetStringAsync("/hello", TestContext.Current.CancellationToken));

        // Each flush returns once its export is over, retries included: a handler retrying the POST (the standard
        // one waits about 2 s, the export up to 10 s) would already have sent it again. And any resilience handler on
        // these clients, retrying or not, logs each attempt under the category "Polly".
        service.Services.GetRequiredService<TracerProvider>().ForceFlush(FlushTimeoutMilliseconds);
        service.Services.GetRequiredService<MeterProvider>().ForceFlush(FlushTimeoutMilliseconds);
        service.Services.GetRequiredService<LoggerProvider>().ForceFlush(FlushTimeoutMilliseconds);

        Assert.Equal(1, collector.RequestsTo(OtlpReceiver.TracesPath));
        Assert.Equal(1, collector.RequestsTo(OtlpReceiver.MetricsPath));
        Assert.Equal(1, collector.RequestsTo(OtlpReceiver.LogsPath));
        Assert.DoesNotContain(logs.Entries, entry => entry.Category.StartsWith("Polly", StringComparison.Ordinal));
    }
}
