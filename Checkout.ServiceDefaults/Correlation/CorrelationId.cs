using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Checkout.ServiceDefaults.Correlation;

/// <summary>
/// X-Correlation-ID, the id a client (or the gateway) gives a request so that every log line it causes, in every
/// service, can be found together. The same header is the gRPC metadata key x-correlation-id, so one middleware
/// serves the gateway's HTTP requests and the services' gRPC calls: it takes a sane id from the request (else makes
/// one), returns it, and puts it in the logging scope; <see cref="CorrelationIdInterceptor"/> sends it on with every
/// outgoing gRPC call. The W3C trace context travels alongside on its own (traceparent).
/// </summary>
public static partial class CorrelationId
{
    public const string HeaderName = "X-Correlation-ID";

    /// <summary>The gRPC metadata key (gRPC keys are lower-case).</summary>
    public const string MetadataKey = "x-correlation-id";

    private static readonly object ItemKey = new();

    /// <summary>The request's correlation id, once <see cref="UseCorrelationId"/> has run for it.</summary>
    public static string? Get(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items.TryGetValue(ItemKey, out var value) ? (string?)value : null;
    }

    public static IApplicationBuilder UseCorrelationId(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            string? offered = context.Request.Headers[HeaderName];
            var id = offered is not null && ValidId().IsMatch(offered) ? offered : Guid.NewGuid().ToString("N");
            context.Items[ItemKey] = id;
            context.Response.Headers[HeaderName] = id;
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Checkout.Requests");
            // A template scope: console lines show "CorrelationId:<id>", OpenTelemetry gets the attribute.
            using (logger.BeginScope("CorrelationId:{CorrelationId}", id))
            {
                await next(context);
            }
        });

    // Printable, header- and log-safe, bounded: anything else is replaced rather than echoed back.
    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex ValidId();
}
