using System.Globalization;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Checkout.Gateway.Problems;

/// <summary>
/// A service's gRPC status as the HTTP answer a client can act on. Client errors keep the service's message (the
/// services word them for clients); server-side failures get a generic one, so nothing internal leaks.
/// </summary>
public static class GrpcStatusProblems
{
    public static int HttpStatus(StatusCode code) => code switch
    {
        StatusCode.InvalidArgument or StatusCode.OutOfRange => StatusCodes.Status400BadRequest,
        StatusCode.NotFound => StatusCodes.Status404NotFound,
        StatusCode.AlreadyExists or StatusCode.FailedPrecondition or StatusCode.Aborted => StatusCodes.Status409Conflict,
        StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
        StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        StatusCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        // Unauthenticated, Unimplemented, Internal, Unknown, DataLoss, Cancelled: the gateway's call failed, not the client's request.
        _ => StatusCodes.Status502BadGateway,
    };

    public static string Detail(Status status) => status.StatusCode switch
    {
        StatusCode.Unavailable => "A service this request needs is unavailable; retry later.",
        StatusCode.DeadlineExceeded => "A service this request needs did not answer in time.",
        _ when HttpStatus(status.StatusCode) < 500 => status.Detail,
        _ => "A service this request needs failed.",
    };

    /// <summary>Writes the problem for <paramref name="exception"/>, with Retry-After where a retry can succeed.</summary>
    public static ValueTask WriteAsync(HttpContext context, RpcException exception)
    {
        var status = HttpStatus(exception.StatusCode);
        if (status is StatusCodes.Status503ServiceUnavailable or StatusCodes.Status429TooManyRequests)
        {
            var retryAfter = context.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.UnavailableRetryAfter;
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return ProblemResponses.WriteAsync(context, status, Detail(exception.Status));
    }
}
