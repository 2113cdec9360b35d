using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Checkout.ServiceDefaults.Grpc;

/// <summary>
/// Server and client spans following the OpenTelemetry RPC semantic conventions, from the "Checkout.Grpc" source
/// (ServiceDefaults subscribes to "Checkout.*"). Spans exist only when something listens, so an unobserved call
/// pays one HasListeners check.
/// </summary>
public static class GrpcTelemetry
{
    public const string ActivitySourceName = "Checkout.Grpc";

    internal static readonly ActivitySource Source = new(ActivitySourceName);

    /// <summary>
    /// The server span is a child of ASP.NET Core's request span when there is one (it already continued the caller's
    /// traceparent), so HTTP and RPC views of the call stay in one trace; when only "Checkout.*" is observed there
    /// is no request span, and the server span continues the incoming traceparent/tracestate itself.
    /// </summary>
    internal static Activity? StartServer(HttpContext http, string spanName, string service, string method)
    {
        if (!Source.HasListeners()) return null;
        ActivityContext parent = default;
        if (Activity.Current is null)
        {
            var headers = http.Request.Headers;
            var traceParent = headers.TraceParent;
            if (!StringValues.IsNullOrEmpty(traceParent))
                ActivityContext.TryParse(traceParent.ToString(), headers.TraceState.ToString(), isRemote: true, out parent);
        }
        var activity = Source.StartActivity(spanName, ActivityKind.Server, parent);
        if (activity is { IsAllDataRequested: true })
        {
            var host = http.Request.Host;
            activity.SetTag("rpc.system", "grpc");
            activity.SetTag("rpc.service", service);
            activity.SetTag("rpc.method", method);
            activity.SetTag("server.address", host.Host);
            activity.SetTag("server.port", host.Port ?? http.Connection.LocalPort);
        }
        return activity;
    }

    /// <summary>Started before the HTTP request is sent, so HttpClient's propagation writes this span's context in traceparent.</summary>
    internal static Activity? StartClient(string spanName, string service, string method, Uri? address)
    {
        if (!Source.HasListeners()) return null;
        var activity = Source.StartActivity(spanName, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("rpc.system", "grpc");
            activity.SetTag("rpc.service", service);
            activity.SetTag("rpc.method", method);
            if (address is not null)
            {
                activity.SetTag("server.address", address.Host);
                activity.SetTag("server.port", address.Port);
            }
        }
        return activity;
    }

    internal static void Stop(Activity activity, StatusCode code, bool isServer)
    {
        activity.SetTag("rpc.grpc.status_code", (int)code);
        // Semantic conventions: a client marks every non-OK status as an error, a server only those that mean it failed.
        var isError = isServer
            ? code is StatusCode.Unknown or StatusCode.DeadlineExceeded or StatusCode.Unimplemented or StatusCode.Internal
                or StatusCode.Unavailable or StatusCode.DataLoss
            : code != StatusCode.OK;
        if (isError) activity.SetStatus(ActivityStatusCode.Error);
        activity.Stop();
    }
}
