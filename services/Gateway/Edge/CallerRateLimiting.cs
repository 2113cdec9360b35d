using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Checkout.Gateway.Auth;
using Checkout.Gateway.Problems;
using Microsoft.Extensions.Options;

namespace Checkout.Gateway.Edge;

/// <summary>
/// The "per-caller" policy of ASP.NET Core's rate limiter: one window per caller, the token's subject for an
/// authenticated caller and the remote address otherwise (so runs after authentication). A rejected request gets
/// 429 with Retry-After (seconds until the window resets) and a problem body.
/// </summary>
public static class CallerRateLimiting
{
    public const string PolicyName = "per-caller";

    public static IHostApplicationBuilder AddCallerRateLimiting(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitingOptions>()
            .Bind(builder.Configuration.GetSection(RateLimitingOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(PolicyName, context =>
            {
                var options = context.RequestServices.GetRequiredService<IOptions<RateLimitingOptions>>().Value;
                return RateLimitPartition.GetFixedWindowLimiter(PartitionKey(context), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = options.PermitLimit,
                    Window = options.Window,
                    QueueLimit = 0,
                });
            });
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await ProblemResponses.WriteAsync(rejected.HttpContext, StatusCodes.Status429TooManyRequests,
                    $"Too many requests from this caller; retry after {seconds} s.");
            };
        });
        return builder;
    }

    private static string PartitionKey(HttpContext context) =>
        context.User.FindFirstValue(JwtBearerAuthentication.SubjectClaim) is { } subject
            ? "sub:" + subject
            : "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
}
