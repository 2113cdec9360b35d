using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Checkout.ServiceDefaults.Grpc;

/// <summary>
/// gRPC needs HTTP/2. On plain http a client cannot negotiate it (no TLS, so no ALPN): gRPC clients speak h2c with
/// prior knowledge, which Kestrel accepts only on an endpoint whose Protocols is Http2 alone; the default
/// Http1AndHttp2 falls back to HTTP/1.1 on cleartext and the call fails. So give gRPC its own endpoint with
/// Protocols=Http2 (configuration: Kestrel:Endpoints:grpc:Url=http://*:5001, Kestrel:Endpoints:grpc:Protocols=Http2),
/// or serve a whole cleartext port as Http2 (then /health needs an HTTP/2 client too). With TLS, Http1AndHttp2
/// works: ALPN picks h2.
/// </summary>
public static class GrpcKestrelExtensions
{
    /// <summary>Listens for h2c (HTTP/2 with prior knowledge) on <paramref name="endpoint"/>: port 0 picks a free port.</summary>
    public static KestrelServerOptions ListenGrpc(this KestrelServerOptions kestrel, IPEndPoint endpoint)
    {
        kestrel.Listen(endpoint, listen => listen.Protocols = HttpProtocols.Http2);
        return kestrel;
    }
}
