using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Checkout.ServiceDefaults.Grpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Checkout.Bench.Grpc;

/// <summary>
/// The .NET servers under test, each run in its own process ("serve KIND"): it prints "listening ADDRESS" once it
/// serves, and stops when its stdin closes.
/// </summary>
internal static class EchoServers
{
    public const string EchoPath = "/checkout.testing.v1.EchoService/Echo";

    /// <summary>Our gRPC stack as a service sets it up: AddGrpcServiceDefaults and MapGrpcService.</summary>
    public const string Ours = "ours";

    /// <summary>The same, plus AddServiceDefaults (OpenTelemetry traces and metrics, health checks), as services run.</summary>
    public const string OursWithServiceDefaults = "ours-defaults";

    /// <summary>Kestrel alone answering the same bytes, with the same headers and grpc-status trailer.</summary>
    public const string Bare = "bare";

    public static async Task RunAsync(string kind)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // The same host for every kind: no log providers (no line per request), h2c on a free loopback port.
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        switch (kind)
        {
            case Ours:
                builder.AddGrpcServiceDefaults();
                break;
            case OursWithServiceDefaults:
                builder.AddServiceDefaults();
                builder.AddGrpcServiceDefaults();
                break;
            case Bare:
                break;
            default:
                throw new ArgumentException($"Unknown server kind '{kind}': {Ours}, {OursWithServiceDefaults} or {Bare}.");
        }

        var app = builder.Build();
        if (kind == Bare)
            app.MapPost(EchoPath, BareEchoAsync);
        else
            app.MapGrpcService<BenchEchoApi>();
        await app.StartAsync();
        Console.WriteLine("listening " + app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
    }

    /// <summary>
    /// The floor: no gRPC machinery, just read the framed request and write it back (EchoRequest.message and
    /// EchoReply.message are both field 1, so the bytes are a valid reply) with gRPC's content type and trailer.
    /// </summary>
    private static async Task BareEchoAsync(HttpContext context)
    {
        var reader = context.Request.BodyReader;
        ReadResult result;
        while (true)
        {
            result = await reader.ReadAsync();
            if (result.IsCompleted)
                break;
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }

        context.Response.ContentType = "application/grpc";
        var writer = context.Response.BodyWriter;
        foreach (var segment in result.Buffer)
            writer.Write(segment.Span);
        reader.AdvanceTo(result.Buffer.End);
        context.Response.AppendTrailer("grpc-status", "0");
    }
}
