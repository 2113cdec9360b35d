using System.Text.Json;
using Grpc.Core;
using Microsoft.AspNetCore.Diagnostics;

namespace Checkout.Gateway.Problems;

/// <summary>
/// Turns what escapes an endpoint into a problem: a service's gRPC status (see <see cref="GrpcStatusProblems"/>),
/// a request the framework could not bind (malformed or mistyped JSON, unknown fields, a missing body, a body over
/// the size limit, a bad route or query value: 4xx with the JSON path of the fault), and anything else as a bare
/// 500. Every exception is logged; none reaches the client's eyes.
/// </summary>
public sealed partial class GatewayExceptionHandler(ILogger<GatewayExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        switch (exception)
        {
            case RpcException rpc:
                LogServiceCallFailed(logger, rpc.StatusCode, rpc.Status.Detail);
                await GrpcStatusProblems.WriteAsync(context, rpc);
                return true;
            case BadHttpRequestException { InnerException: JsonException json }:
                LogBadRequest(logger, json.Path ?? "$", json.Message);
                var field = JsonPathToField(json.Path);
                await ProblemResponses.WriteAsync(context, StatusCodes.Status400BadRequest,
                    "The request body is not valid JSON for this endpoint (malformed, a value of the wrong type, or an unknown field).",
                    new Dictionary<string, string[]> { [field] = ["is malformed, of the wrong type or not a field of this request"] });
                return true;
            case BadHttpRequestException badRequest:
                LogBadRequest(logger, context.Request.Path, badRequest.Message);
                await ProblemResponses.WriteAsync(context, badRequest.StatusCode, badRequest.StatusCode switch
                {
                    StatusCodes.Status413PayloadTooLarge => "The request body is larger than this API accepts.",
                    StatusCodes.Status415UnsupportedMediaType => "The request body must be JSON (Content-Type: application/json).",
                    _ => "The request could not be read: a required body is missing, or a route, query or header value is malformed.",
                });
                return true;
            default:
                // Logged here: since .NET 10 the middleware stays quiet about exceptions a handler handled.
                LogUnexpected(logger, exception, context.Request.Path);
                await ProblemResponses.WriteAsync(context, StatusCodes.Status500InternalServerError, "An unexpected error occurred.");
                return true;
        }
    }

    /// <summary>"$.lines[0].quantity" as "lines[0].quantity"; the whole body is "$".</summary>
    private static string JsonPathToField(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "$" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;

    [LoggerMessage(LogLevel.Warning, "Service call failed with {StatusCode}: {Detail}")]
    private static partial void LogServiceCallFailed(ILogger logger, StatusCode statusCode, string detail);

    [LoggerMessage(LogLevel.Error, "Unhandled exception answering {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string path);

    [LoggerMessage(LogLevel.Information, "Bad request at {Where}: {Reason}")]
    private static partial void LogBadRequest(ILogger logger, string where, string reason);
}
