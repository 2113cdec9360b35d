using System.Diagnostics;
using Checkout.ServiceDefaults.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Checkout.ServiceDefaults.Telemetry;

/// <summary>
/// Stops recording the request span of /health and /alive as the request enters the pipeline: probes would
/// otherwise flood the traces, and the parent-based sampler then drops the spans of the checks they run too.
/// </summary>
internal sealed class ProbeTraceSuppression : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(static (context, nextMiddleware) =>
        {
            if (HealthEndpoints.IsProbe(context.Request.Path) && context.Features.Get<IHttpActivityFeature>()?.Activity is { } activity)
            {
                activity.IsAllDataRequested = false;
                activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
            }

            return nextMiddleware(context);
        });
        next(app);
    };
}
