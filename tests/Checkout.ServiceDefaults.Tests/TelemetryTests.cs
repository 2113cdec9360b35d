using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;

namespace Checkout.ServiceDefaults.Tests;

public sealed class TelemetryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Spans_reach_the_otlp_endpoint_with_the_configured_service_name_and_probes_are_not_traced()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var service = await RunningApp.StartAsync(
            builder => builder.AddServiceDefaults(),
            app =>
            {
                app.MapDefaultEndpoints();
                app.MapGet("/hello", () => Activity.Current?.TraceId.ToHexString());
            },
            new Dictionary<string, string?>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.App.Address.ToString(),
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                ["OTEL_SERVICE_NAME"] = "inventory-under-test",
                ["OTEL_RESOURCE_ATTRIBUTES"] = "service.instance.id=replica-7",
                ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            });
        var client = service.Services.GetRequiredService<IHttpClientFactory>().CreateClient();
        client.BaseAddress = service.Address;

        (await client.GetAsync("/alive", Ct)).EnsureSuccessStatusCode();
        (await client.GetAsync("/health", Ct)).EnsureSuccessStatusCode();
        var traceId = await client.GetStringAsync("/hello", Ct);

        var spans = await WaitForSpans(receiver, service, spans => spans.Count(span => span.TraceId == traceId) >= 2);
        var trace = spans.Where(span => span.TraceId == traceId).ToList();
        // The HttpClient span and the server span it started share the trace: traceparent went over the wire.
        Assert.Contains(trace, span => span.Attributes.GetValueOrDefault("url.full") == $"{service.Address}hello");
        var server = Assert.Single(trace, span => span.Attributes.GetValueOrDefault("url.path") == "/hello");
        Assert.Equal("GET /hello", server.Name);
        Assert.Equal("/hello", server.Attributes["http.route"]);
        Assert.DoesNotContain(spans, span => span.Attributes.GetValueOrDefault("url.path") is "/alive" or "/health");
        Assert.All(trace, span => Assert.Equal("inventory-under-test", span.Resource["service.name"]));
        Assert.All(trace, span => Assert.Equal("replica-7", span.Resource["service.instance.id"]));
    }

    [Fact]
    public async Task A_span_of_our_own_Checkout_source_is_exported_in_the_request_trace_and_one_of_another_source_is_not()
    {
        using var ours = new ActivitySource("Checkout.Inventory.Reservations");
        using var theirs = new ActivitySource("Contoso.Unlisted");
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var service = await RunningApp.StartAsync(
            builder => builder.AddServiceDefaults(),
            app => app.MapGet("/reserve", () =>
            {
                using (ours.StartActivity("reserve stock"))
                using (theirs.StartActivity("unlisted work"))
                {
                }

                return Activity.Current?.TraceId.ToHexString();
            }),
            new Dictionary<string, string?>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.App.Address.ToString(),
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            });
        using var client = new HttpClient { BaseAddress = service.Address };

        var traceId = await client.GetStringAsync("/reserve", Ct);

        // The request's span ends after the handler's, so it may come in a later export batch: wait for both.
        var spans = await WaitForSpans(receiver, service, spans => spans.Any(span => span.Name == "reserve stock") && spans.Any(span => span.Name == "GET /reserve"));
        var reserve = Assert.Single(spans, span => span.Name == "reserve stock");
        Assert.Equal(traceId, reserve.TraceId);
        Assert.Contains(spans, span => span.TraceId == traceId && span.Name == "GET /reserve");
        Assert.DoesNotContain(spans, span => span.Name == "unlisted work");
    }

    [Fact]
    public async Task Console_log_lines_carry_the_trace_id()
    {
        var marker = Guid.NewGuid().ToString("N");
        var console = new StringWriter();
        var original = Console.Out;
        Console.SetOut(TextWriter.Synchronized(console));
        string traceId;
        try
        {
            await using (var service = await RunningApp.StartAsync(
                builder => builder.AddServiceDefaults(),
                app => app.MapGet("/log", (ILogger<TelemetryTests> logger) =>
                {
                    logger.LogInformation("Reserved stock for order {OrderId}", marker);
                    return Activity.Current?.TraceId.ToHexString();
                })))
            {
                using var client = new HttpClient { BaseAddress = service.Address };
                traceId = await client.GetStringAsync("/log", Ct);
            }
        }
        finally
        {
            Console.SetOut(original);
        }

        var line = Assert.Single(console.ToString().Split('\n'), text => text.Contains(marker, StringComparison.Ordinal));
        Assert.Matches("^[0-9a-f]{32}$", traceId);
        Assert.Contains($"TraceId:{traceId}", line);
    }

    private static async Task<IReadOnlyList<ExportedSpan>> WaitForSpans(
        OtlpReceiver receiver, RunningApp service, Func<IReadOnlyList<ExportedSpan>, bool> done)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        while (!done(receiver.Spans))
        {
            service.Services.GetRequiredService<TracerProvider>().ForceFlush(1000);
            await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
        }

        return receiver.Spans;
    }
}
