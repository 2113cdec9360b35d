// Stands in for Grpc.Core.ServerCallContext and IServerStreamWriter<T> (Grpc.Core.Api is not available here).
using Microsoft.AspNetCore.Http;

namespace Checkout.ServiceDefaults.Grpc;

/// <summary>What a server handler knows about its call, and what it may add to the response.</summary>
public abstract class ServerCallContext
{
    /// <summary>The full method name, "/{package}.{Service}/{Method}".</summary>
    public abstract string Method { get; }

    public abstract string Host { get; }

    public abstract string Peer { get; }

    /// <summary>The client's deadline (grpc-timeout), or DateTime.MaxValue when it set none.</summary>
    public abstract DateTime Deadline { get; }

    /// <summary>Cancelled when the client cancels (RST_STREAM) or the deadline passes.</summary>
    public abstract CancellationToken CancellationToken { get; }

    /// <summary>Custom request metadata (protocol headers such as grpc-timeout or content-type are left out).</summary>
    public abstract Metadata RequestHeaders { get; }

    /// <summary>Trailers to send with the status; also sent when the handler throws an RpcException.</summary>
    public abstract Metadata ResponseTrailers { get; }

    /// <summary>Sends the response headers now, with this metadata; at most once, before the first message.</summary>
    public abstract Task WriteResponseHeadersAsync(Metadata responseHeaders);

    public abstract HttpContext GetHttpContext();
}

/// <summary>Writes a server stream's messages, in order, one at a time.</summary>
public interface IServerStreamWriter<in T>
{
    Task WriteAsync(T message);

    Task WriteAsync(T message, CancellationToken cancellationToken);
}

public delegate Task<TResponse> UnaryServerMethod<TRequest, TResponse>(TRequest request, ServerCallContext context);

public delegate Task ServerStreamingServerMethod<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context);
