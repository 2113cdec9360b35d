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

    public async Task HandleCallAsync(HttpContext http)
    {
        var call = GrpcServerCall.TryStart(http, Endpoint);
        if (call is null) return;
        var activity = GrpcTelemetry.StartServer(http, Endpoint.SpanName, Endpoint.Service, Endpoint.MethodName);
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
            call.Dispose();
            if (activity is not null) GrpcTelemetry.Stop(activity, code, isServer: true);
        }
    }

    protected abstract Task InvokeAsync(GrpcServerCall call);
}

internal sealed class UnaryServerCallHandler<TRequest, TResponse>(
    GrpcMethodEndpoint endpoint, Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse> handler)
    : GrpcServerCallHandler(endpoint)
{
    protected override async Task InvokeAsync(GrpcServerCall call)
    {
        var request = await call.ReadSingleMessageAsync(method.RequestMarshaller);
        var response = await handler(request, call);
        call.WriteMessage(response, method.ResponseMarshaller);
    }
}

internal sealed class ServerStreamingServerCallHandler<TRequest, TResponse>(
    GrpcMethodEndpoint endpoint, Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse> handler)
    : GrpcServerCallHandler(endpoint)
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
internal sealed class UnimplementedServerCallHandler(GrpcMethodEndpoint endpoint) : GrpcServerCallHandler(endpoint)
{
    protected override Task InvokeAsync(GrpcServerCall call) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, $"Method '{call.GetHttpContext().Request.Path}' is unimplemented."));
}
