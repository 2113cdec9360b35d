using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Checkout.ServiceDefaults.Grpc;

/// <summary>What every call of one method shares: its names, limits and logger, computed once at start-up.</summary>
internal sealed class GrpcMethodEndpoint(string service, string method, GrpcServiceOptions options, ILogger logger)
{
    public string Service { get; } = service;
    public string MethodName { get; } = method;
    public string FullName { get; } = "/" + service + "/" + method;
    public string SpanName { get; } = service + "/" + method;
    public GrpcServiceOptions Options { get; } = options;
    public ILogger Logger { get; } = logger;
}

/// <summary>Runs one method's calls: validation, telemetry, and turning every outcome into a gRPC status.</summary>
internal abstract class GrpcServerCallHandler(GrpcMethodEndpoint endpoint)
{
    public GrpcMethodEndpoint Endpoint { get; } = endpoint;

    public abstract Task HandleCallAsync(HttpContext http);

    protected Activity? StartActivity(HttpContext http) => GrpcTelemetry.StartServer(http, Endpoint.SpanName, Endpoint.Service, Endpoint.MethodName);

    protected static void End(GrpcServerCall call, Activity? activity, StatusCode code)
    {
        call.Dispose();
        if (activity is not null) GrpcTelemetry.Stop(activity, code, isServer: true);
    }
}

/// <summary>The shape of every call but the unary fast path: start, run <see cref="InvokeAsync"/>, end with its status.</summary>
internal abstract class InvokingServerCallHandler(GrpcMethodEndpoint endpoint) : GrpcServerCallHandler(endpoint)
{
    public override async Task HandleCallAsync(HttpContext http)
    {
        var call = GrpcServerCall.TryStart(http, Endpoint);
        if (call is null) return;
        var activity = StartActivity(http);
        var code = StatusCode.OK;
        try
        {
            await InvokeAsync(call);
            call.CompleteOk();
        }
        catch (Exception exception)
        {
            code = call.Fail(exception);
        }
        finally
        {
            End(call, activity, code);
        }
    }

    protected abstract Task InvokeAsync(GrpcServerCall call);
}

internal sealed class UnaryServerCallHandler<TRequest, TResponse>(
    GrpcMethodEndpoint endpoint, Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse> handler)
    : GrpcServerCallHandler(endpoint)
    where TRequest : class
{
    /// <summary>
    /// The hot path, in one async method (the same steps as InvokingServerCallHandler, inlined): when the request
    /// body has not fully arrived, only this frame (and the handler's own) goes to the heap, not one per layer.
    /// </summary>
    public override async Task HandleCallAsync(HttpContext http)
    {
        var call = GrpcServerCall.TryStart(http, Endpoint);
        if (call is null) return;
        var activity = StartActivity(http);
        var code = StatusCode.OK;
        try
        {
            TRequest? request = null;
            while (!call.ConsumeRequest(await call.RequestBody.ReadAsync(call.ReadToken), method.RequestMarshaller, ref request)) { }
            var response = await handler(request!, call);
            call.WriteMessage(response, method.ResponseMarshaller);
            call.CompleteOk();
        }
        catch (Exception exception)
        {
            code = call.Fail(exception);
        }
        finally
        {
            End(call, activity, code);
        }
    }
}

internal sealed class ServerStreamingServerCallHandler<TRequest, TResponse>(
    GrpcMethodEndpoint endpoint, Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse> handler)
    : InvokingServerCallHandler(endpoint)
    where TRequest : class
{
    protected override async Task InvokeAsync(GrpcServerCall call)
    {
        var request = await call.ReadSingleMessageAsync(method.RequestMarshaller);
        await handler(request, new ResponseStreamWriter(call, method.ResponseMarshaller), call);
    }

    private sealed class ResponseStreamWriter(GrpcServerCall call, Marshaller<TResponse> marshaller) : IServerStreamWriter<TResponse>
    {
        public Task WriteAsync(TResponse message) => WriteAsync(message, call.CancellationToken);

        public async Task WriteAsync(TResponse message, CancellationToken cancellationToken)
        {
            call.WriteMessage(message, marshaller);
            await call.FlushAsync(cancellationToken);
        }
    }
}

/// <summary>A method the proto declares but nobody bound, or a path no mapped service declares.</summary>
internal sealed class UnimplementedServerCallHandler(GrpcMethodEndpoint endpoint) : InvokingServerCallHandler(endpoint)
{
    protected override Task InvokeAsync(GrpcServerCall call) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, $"Method '{call.GetHttpContext().Request.Path}' is unimplemented."));
}
