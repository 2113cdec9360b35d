namespace Checkout.ServiceDefaults.Grpc;

/// <summary>Server limits (names as in Grpc.AspNetCore's GrpcServiceOptions). Configure with services.AddGrpc(o => ...).</summary>
public sealed class GrpcServiceOptions
{
    /// <summary>Largest request message accepted; a larger one ends the call with RESOURCE_EXHAUSTED. 4 MiB by default.</summary>
    public int MaxReceiveMessageSize { get; set; } = GrpcProtocol.DefaultMaxReceiveMessageSize;

    /// <summary>Largest response message sent; a larger one ends the call with RESOURCE_EXHAUSTED. Unlimited by default.</summary>
    public int MaxSendMessageSize { get; set; } = int.MaxValue;
}
