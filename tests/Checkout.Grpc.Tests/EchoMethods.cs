using Checkout.Grpc.Tests.Echo;
using Checkout.ServiceDefaults.Grpc;

namespace Checkout.Grpc.Tests;

/// <summary>Typed client methods of the echo service, built from its proto definition.</summary>
internal static class EchoMethods
{
    public static readonly Method<EchoRequest, EchoReply> Echo = Create("Echo");
    public static readonly Method<EchoRequest, EchoReply> Fail = Create("Fail");
    public static readonly Method<EchoRequest, EchoReply> Throw = Create("Throw");
    public static readonly Method<EchoRequest, EchoReply> Wait = Create("Wait");
    public static readonly Method<EchoRequest, EchoReply> Metadata = Create("Metadata");
    public static readonly Method<EchoRequest, EchoReply> Flaky = Create("Flaky");
    public static readonly Method<EchoRequest, EchoReply> Unbound = Create("Unbound");

    private static Method<EchoRequest, EchoReply> Create(string name) =>
        Method.FromDescriptor<EchoRequest, EchoReply>(EchoServerFixture.EchoService.FindMethodByName(name));
}
