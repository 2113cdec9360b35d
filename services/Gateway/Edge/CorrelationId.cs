using System.Text.RegularExpressions;

namespace Checkout.Gateway.Edge;

/// <summary>
/// X-Correlation-ID: taken from the request when it is a sane token (else a new one is made), returned on the
/// response, put in the logging scope of everything the request logs, in every problem, and sent to the services
/// as gRPC metadata (see Backends). The W3C trace context travels alongside on its own (traceparent).
/// </summary>
public static partial class CorrelationId
{
    public const string HeaderName = "X-Correlation-ID";

    /// <summary>The gRPC metadata key (gRPC keys are lower-case).</summary>
    public const string MetadataKey = "x-correlation-id";

    private static readonly object ItemKey = new();

    /// <summary>The current request's correlation id (set by <see cref="UseCorrelationId"/>).</summary>
    public static string? Get(HttpContext context) => context.Items.TryGetValue(ItemKey, out var value) ? (string?)value : null;

    public static IApplicationBuilder UseCorrelationId(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            string? offered = context.Request.Headers[HeaderName];
            var id = offered is not null && ValidId().IsMatch(offered) ? offered : Guid.NewGuid().ToString("N");
            context.Items[ItemKey] = id;
            context.Response.Headers[HeaderName] = id;
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Checkout.Gateway.Requests");
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
