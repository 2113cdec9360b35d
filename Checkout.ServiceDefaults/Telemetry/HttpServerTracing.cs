// Stands in for the span part of OpenTelemetry.Instrumentation.AspNetCore (not available here): ASP.NET Core
// starts the server span natively but gives it no name or HTTP attributes, so this middleware adds the stable
// HTTP semantic-convention attributes and names the span "{method} {route}". It also stops recording probe
// requests. Not that library's code.
using System.Diagnostics;
using Checkout.ServiceDefaults.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Checkout.ServiceDefaults.Telemetry;

internal sealed class HttpServerTracing : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(TraceAsync);
        next(app);
    };

    private static async Task TraceAsync(HttpContext context, RequestDelegate next)
    {
        var activity = context.Features.Get<IHttpActivityFeature>()?.Activity;
        if (activity is null || !activity.IsAllDataRequested)
        {
            await next(context);
            return;
        }

        if (HealthEndpoints.IsProbe(context.Request.Path))
        {
            // Probes would flood the traces; with the parent-based sampler the checks' own spans are dropped too.
            activity.IsAllDataRequested = false;
            activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
            await next(context);
            return;
        }

        var request = context.Request;
        activity.DisplayName = request.Method;
        activity.SetTag("http.request.method", request.Method);
        activity.SetTag("url.scheme", request.Scheme);
        activity.SetTag("url.path", request.PathBase.Add(request.Path).Value);
        activity.SetTag("server.address", request.Host.Host);
        activity.SetTag("server.port", request.Host.Port);
        activity.SetTag("network.protocol.version", request.Protocol.StartsWith("HTTP/", StringComparison.Ordinal) ? request.Protocol[5..] : request.Protocol);
        try
        {
            await next(context);
        }
        catch (Exception exception)
        {
            activity.SetTag("error.type", exception.GetType().FullName);
            activity.SetStatus(ActivityStatusCode.Error);
            throw;
        }
        finally
        {
            if (context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } route })
            {
                activity.DisplayName = $"{request.Method} {route}";
                activity.SetTag("http.route", route);
            }
        }

        var status = context.Response.StatusCode;
        activity.SetTag("http.response.status_code", status);
        if (status >= 500)
        {
            activity.SetTag("error.type", status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetStatus(ActivityStatusCode.Error);
        }
    }
}
