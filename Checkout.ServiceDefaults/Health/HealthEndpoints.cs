using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Checkout.ServiceDefaults.Health;

/// <summary>The probe paths and what they answer.</summary>
public static class HealthEndpoints
{
    /// <summary>Readiness: every registered check (database, broker, ...).</summary>
    public const string HealthPath = "/health";

    /// <summary>Liveness: only checks tagged <see cref="LiveTag"/>.</summary>
    public const string AlivePath = "/alive";

    public const string LiveTag = "live";

    internal static bool IsProbe(PathString path) =>
        path.StartsWithSegments(HealthPath) || path.StartsWithSegments(AlivePath);

    /// <summary>
    /// Writes <c>{"status":"Unhealthy","checks":{"self":"Healthy","db":"Unhealthy"}}</c>: names and statuses only,
    /// never descriptions, data or exceptions, so the endpoints are safe to expose in every environment.
    /// </summary>
    internal static async Task WriteReportAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(context.Response.BodyWriter);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteString(name, entry.Status.ToString());
        }

        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }
}
