using Checkout.ServiceDefaults.Postgres;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace Checkout.ServiceDefaults.Grpc;

/// <summary>
/// Ends a call whose handler let a database outage escape with UNAVAILABLE ("try again"), which clients and the
/// gateway retry or answer with 503, instead of UNKNOWN; so no handler needs to catch one. The outage is logged
/// here, with the call's trace id; its text never reaches the client. A handler's own <see cref="RpcException"/>
/// passes through untouched, and any other exception is left to Grpc.AspNetCore, which logs it and answers UNKNOWN
/// "Exception was thrown by handler." without detail.
/// </summary>
public sealed partial class ExceptionStatusInterceptor(ILogger<ExceptionStatusInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception exception) when (Map(exception, context) is { } status)
        {
            throw new RpcException(status);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception exception) when (Map(exception, context) is { } status)
        {
            throw new RpcException(status);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context);
        }
        catch (Exception exception) when (Map(exception, context) is { } status)
        {
            throw new RpcException(status);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context);
        }
        catch (Exception exception) when (Map(exception, context) is { } status)
        {
            throw new RpcException(status);
        }
    }

    private Status? Map(Exception exception, ServerCallContext context)
    {
        if (exception is RpcException || DatabaseOutage.ToStatus(exception) is not { } status)
            return null;
        LogMapped(logger, context.Method, status.StatusCode, exception);
        return status;
    }

    [LoggerMessage(LogLevel.Warning, "{Method} ended with {StatusCode}: the service's database is unavailable")]
    private static partial void LogMapped(ILogger logger, string method, StatusCode statusCode, Exception exception);
}
