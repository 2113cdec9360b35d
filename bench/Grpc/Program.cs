// Unary echo benchmark: requests/s and p50/p99 latency of (a) the echo service served by our gRPC stack
// (AddGrpcServiceDefaults, MapGrpcService), (a') the same with AddServiceDefaults, (b) bare Kestrel answering the same
// bytes with the same grpc-status trailer, (c) a grpc-js server, all driven by h2load (16 connections x 32 streams,
// h2c prior knowledge), each server in its own process; then our generated client against (a), (d) on 16 channels x
// 32 calls in flight and (e) as AddGrpcServiceClient gives it. Configurations run interleaved, several rounds; the
// report quotes medians.
//
//   eng/setup.sh nghttp2-client          # h2load, node and the grpc-js packages
//   dotnet run -c Release --project bench/Grpc [-- --rounds 5]
//
// Writes bench/results/grpc.md and prints it.
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Checkout.Bench.Grpc;
using Checkout.Grpc.Tests.Echo;
using Checkout.ServiceDefaults.Grpc;
using Google.Protobuf;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

if (args is ["serve", var kind])
{
    await EchoServers.RunAsync(kind);
    return 0;
}

var rounds = args is ["--rounds", var r] ? int.Parse(r, CultureInfo.InvariantCulture) : 5;
if (!Debugger.IsAttached && typeof(Program).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration != "Release")
{
    Console.Error.WriteLine("Run the benchmark in Release: dotnet run -c Release --project bench/Grpc");
    return 2;
}

var root = typeof(Program).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;
var loadBefore = Report.LoadAverage();
var work = Directory.CreateTempSubdirectory("checkout-bench-grpc-");
try
{
    // One framed EchoRequest: no compression, 4-byte big-endian length, the message.
    var requestFile = Path.Combine(work.FullName, "echo-request.bin");
    var message = new EchoRequest { Message = "hello" }.ToByteArray();
    File.WriteAllBytes(requestFile, [0, 0, 0, 0, (byte)message.Length, .. message]);

    const string Ours = "(a) Checkout gRPC server (AddGrpcServiceDefaults)";
    const string OursWithDefaults = "(a') the same + AddServiceDefaults";
    const string Bare = "(b) bare Kestrel h2c echo + grpc-status";
    const string GrpcJs = "(c) grpc-js server";
    const string Channels = "(d) generated client, 16 channels x 32 -> (a)";
    const string ServiceClient = "(e) AddGrpcServiceClient, 512 in flight -> (a)";

    await using var ours = await ServerProcess.StartDotnetAsync(EchoServers.Ours);
    await using var oursWithDefaults = await ServerProcess.StartDotnetAsync(EchoServers.OursWithServiceDefaults);
    await using var bare = await ServerProcess.StartDotnetAsync(EchoServers.Bare);
    await using var grpcJs = await ServerProcess.StartNodeAsync(Path.Combine(root, "tests", "Checkout.Grpc.Tests", "interop"));
    (string Name, ServerProcess Server, int Requests)[] servers =
    [
        (Ours, ours, 400_000),
        (OursWithDefaults, oursWithDefaults, 400_000),
        (Bare, bare, 400_000),
        (GrpcJs, grpcJs, 60_000),
    ];

    var channels = Enumerable.Range(0, 16).Select(_ => GrpcChannel.ForAddress(ours.Address)).ToList();
    using var clientHost = ServiceClientHost(ours.Address);
    try
    {
        var channelClients = channels.Select(channel => new EchoService.EchoServiceClient(channel)).ToList();
        var serviceClients = new[] { clientHost.Services.GetRequiredService<EchoService.EchoServiceClient>() };

        // Every server must really answer gRPC with OK: h2load only sees HTTP 200.
        foreach (var (name, server, _) in servers)
        {
            using var channel = GrpcChannel.ForAddress(server.Address);
            var reply = await new EchoService.EchoServiceClient(channel).EchoAsync(new EchoRequest { Message = "check" }, deadline: DateTime.UtcNow.AddSeconds(30));
            if (reply.Message != "check")
                throw new InvalidOperationException($"{name} answered '{reply.Message}'.");
            Console.WriteLine($"{name} at {server.Address}: gRPC OK");
        }

        Console.WriteLine("warming up");
        foreach (var (_, server, requests) in servers)
            await H2Load.RunAsync(server.Address, requestFile, requests / 4, work.FullName);
        await ClientLoad.RunAsync(channelClients, 32, TimeSpan.FromSeconds(2));
        await ClientLoad.RunAsync(serviceClients, 512, TimeSpan.FromSeconds(2));

        var results = servers.Select(s => (s.Name, Rounds: new List<Measurement>())).Append((Channels, [])).Append((ServiceClient, [])).ToList();
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var (name, server, requests) in servers)
                Record(round, name, await H2Load.RunAsync(server.Address, requestFile, requests, work.FullName));
            Record(round, Channels, await ClientLoad.RunAsync(channelClients, 32, TimeSpan.FromSeconds(4)));
            Record(round, ServiceClient, await ClientLoad.RunAsync(serviceClients, 512, TimeSpan.FromSeconds(4)));
        }

        var report = Report.Write(results, Ours, Bare, GrpcJs, rounds, loadBefore, Report.LoadAverage());
        File.WriteAllText(Path.Combine(root, "bench", "results", "grpc.md"), report);
        Console.WriteLine();
        Console.WriteLine(report);
        return 0;

        void Record(int round, string name, Measurement measurement)
        {
            results.Single(r => r.Name == name).Rounds.Add(measurement);
            Console.WriteLine($"round {round} {name}: {measurement}");
        }
    }
    finally
    {
        foreach (var channel in channels)
            channel.Dispose();
    }
}
finally
{
    work.Delete(recursive: true);
}

// A host that calls the echo service as the services call each other: AddServiceDefaults, AddGrpcServiceClient, the
// service's address from configuration (services__echo__grpc__0).
static IHost ServiceClientHost(Uri address)
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    builder.Configuration["services:echo:grpc:0"] = address.ToString();
    // Resilience logs every attempt at Information: a line per call would measure the logging.
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.AddServiceDefaults();
    builder.Services.AddGrpcServiceClient<EchoService.EchoServiceClient>("echo");
    var host = builder.Build();
    host.Start();
    return host;
}
