using Checkout.Grpc.Tests.Echo;
using Grpc.Core;

namespace Checkout.Bench.Grpc;

/// <summary>The echo service's Echo as a service implements a method: on the generated base, the reply built from the request.</summary>
internal sealed class BenchEchoApi : EchoService.EchoServiceBase
{
    public override Task<EchoReply> Echo(EchoRequest request, ServerCallContext context) =>
        Task.FromResult(new EchoReply { Message = request.Message });
}
