using System.Diagnostics;
using Checkout.ServiceDefaults.Correlation;
using Microsoft.AspNetCore.Mvc;

namespace Checkout.Gateway.Problems;

/// <summary>
/// RFC 9457 problem details for every error the gateway answers, whatever produced it (endpoint, model binding,
/// authentication, rate limiter, status code pages, exception handler): each carries traceId and correlationId
/// and never an exception's text or stack.
/// </summary>
public static class ProblemResponses
{
    public static IHostApplicationBuilder AddGatewayProblemDetails(this IHostApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            problem.Instance ??= context.HttpContext.Request.Path;
            problem.Extensions["traceId"] = Activity.Current?.TraceId.ToString() ?? context.HttpContext.TraceIdentifier;
            if (CorrelationId.Get(context.HttpContext) is { } correlationId)
                problem.Extensions["correlationId"] = correlationId;
        });
        builder.Services.AddExceptionHandler<GatewayExceptionHandler>();
        return builder;
    }

    /// <summary>Writes a problem with <paramref name="status"/> (and field errors when given) as the response.</summary>
    public static async ValueTask WriteAsync(HttpContext context, int status, string detail, IDictionary<string, string[]>? errors = null)
    {
        context.Response.StatusCode = status;
        ProblemDetails problem = errors is null
            ? new ProblemDetails { Status = status, Detail = detail }
            : new HttpValidationProblemDetails(errors) { Status = status, Detail = detail };
        var written = await context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
        if (!written)
            await context.Response.WriteAsJsonAsync(problem, context.RequestAborted);
    }
}
