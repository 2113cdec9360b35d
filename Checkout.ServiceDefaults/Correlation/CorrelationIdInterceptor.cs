using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;

namespace Checkout.ServiceDefaults.Correlation;

/// <summary>
/// Adds the current request's correlation id (see <see cref="CorrelationId"/>) to every outgoing gRPC call as
/// x-correlation-id metadata, so that the service called logs under the same id. Calls made outside a request (a
/// background sweep, a consumer) carry none.
/// </summary>
public sealed class CorrelationIdInterceptor(IHttpContextAccessor httpContextAccessor) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithCorrelationId(context));

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithCorrelationId(context));

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, BlockingUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithCorrelationId(context));

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncClientStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(WithCorrelationId(context));

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(WithCorrelationId(context));

    private ClientInterceptorContext<TRequest, TResponse> WithCorrelationId<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
        where TRequest : class
        where TResponse : class
    {
        if (httpContextAccessor.HttpContext is not { } http || CorrelationId.Get(http) is not { } correlationId)
            return context;
        if (context.Options.Headers?.GetValue(CorrelationId.MetadataKey) is not null)
            return context;
        var headers = new Metadata();
        foreach (var entry in context.Options.Headers ?? [])
            headers.Add(entry);
        headers.Add(CorrelationId.MetadataKey, correlationId);
        return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(headers));
    }
}
