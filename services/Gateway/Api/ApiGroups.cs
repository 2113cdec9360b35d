using Checkout.Gateway.Edge;

namespace Checkout.Gateway.Api;

public static class ApiGroups
{
    /// <summary>
    /// A group of public endpoints: rate limited per caller, and documented with the problems any of them can answer
    /// (429 over the limit, 503 when a service is unavailable, 504 when it is too slow).
    /// </summary>
    public static RouteGroupBuilder MapApiGroup(this IEndpointRouteBuilder app, string prefix, string tag) =>
        app.MapGroup(prefix)
            .WithTags(tag)
            .RequireRateLimiting(CallerRateLimiting.PolicyName)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout);
}
