// OpenTelemetry.Extensions.Hosting is not available here: this does its one job, building the tracer and meter
// providers (which start listening to the sources) when the host starts. The container owns and disposes them
// when the host is disposed, which flushes what is left to export.
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Checkout.ServiceDefaults.Telemetry;

internal sealed class TelemetryHostedService(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<TracerProvider>();
        _ = services.GetRequiredService<MeterProvider>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
