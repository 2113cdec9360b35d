using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Checkout.Grpc.Tests.Echo;
using Checkout.ServiceDefaults.Grpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Checkout.Bench.Grpc;

/// <summary>The two .NET servers under test, each run in its own process ("serve grpc|bare PORT").</summary>
internal static class EchoServers
{
    public const string EchoPath = "/checkout.testing.v1.EchoService/Echo";

    public static async Task RunAsync(string kind, int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // Same host for both: no log providers (so no per-request hosting log/Activity), h2c on one port.
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenGrpc(new IPEndPoint(IPAddress.Loopback, port)));
        builder.Services.AddGrpc();
        var app = builder.Build();
        switch (kind)
        {
            case "grpc":
                app.MapGrpcService(EchoReflection.Descriptor.FindService("checkout.testing.v1.EchoService"), service =>
                    service.MapUnary<EchoRequest, EchoReply>("Echo", static (request, _) => Task.FromResult(new EchoReply { Message = request.Message })));
                break;
            case "bare":
                app.MapPost(EchoPath, BareEchoAsync);
                break;
            default:
                throw new ArgumentException($"Unknown server kind '{kind}': grpc or bare.");
        }
        await app.StartAsync();
        Console.WriteLine("listening");
        // The benchmark ends us by closing our stdin.
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
    }

    /// <summary>
    /// The floor: no gRPC machinery, just read the framed request and write it back (EchoRequest.message and
    /// EchoReply.message share field 1, so the bytes are a valid reply) with the same headers and grpc-status trailer.
    /// </summary>
    private static async Task BareEchoAsync(HttpContext context)
    {
        var reader = context.Request.BodyReader;
        ReadResult result;
        while (true)
        {
            result = await reader.ReadAsync();
            if (result.IsCompleted) break;
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
        context.Response.ContentType = "application/grpc";
        var writer = context.Response.BodyWriter;
        foreach (var segment in result.Buffer) writer.Write(segment.Span);
        reader.AdvanceTo(result.Buffer.End);
        context.Response.AppendTrailer("grpc-status", "0");
    }
}
