namespace Checkout.ServiceDefaults.Grpc;

/// <summary>Server limits and error mapping (limit names as in Grpc.AspNetCore's GrpcServiceOptions). Configure with services.AddGrpc(o => ...).</summary>
public sealed class GrpcServiceOptions
{
    /// <summary>Largest request message accepted; a larger one ends the call with RESOURCE_EXHAUSTED. 4 MiB by default.</summary>
    public int MaxReceiveMessageSize { get; set; } = GrpcProtocol.DefaultMaxReceiveMessageSize;

    /// <summary>Largest response message sent; a larger one ends the call with RESOURCE_EXHAUSTED. Unlimited by default.</summary>
    public int MaxSendMessageSize { get; set; } = int.MaxValue;

    /// <summary>
    /// Turns an exception a handler let escape into the status the client gets, for failures that mean the same for
    /// every handler (a database outage: UNAVAILABLE, which clients retry), so handlers need not catch them. Consulted
    /// in order; the first non-null status wins; none means UNKNOWN "Exception was thrown by handler.". A handler's own
    /// <see cref="RpcException"/> is never mapped. The status detail goes to the client: never put exception text in it.
    /// </summary>
    public IList<Func<Exception, Status?>> ExceptionStatusMappings { get; } = [];
}
