using System.Diagnostics;
using Checkout.Grpc.Tests.Echo;
using Grpc.Core;

namespace Checkout.Bench.Grpc;

/// <summary>Our generated client's load: every client with a number of calls in flight, for a fixed time.</summary>
internal static class ClientLoad
{
    public static async Task<Measurement> RunAsync(IReadOnlyList<EchoService.EchoServiceClient> clients, int inFlightPerClient, TimeSpan duration)
    {
        var request = new EchoRequest { Message = "hello" };
        var stop = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var failed = 0L;
        var began = Stopwatch.GetTimestamp();
        var workers = clients.SelectMany(client => Enumerable.Range(0, inFlightPerClient).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<double>(1 << 14);
            while (Stopwatch.GetTimestamp() < stop)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await client.EchoAsync(request);
                    latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                catch (RpcException)
                {
                    Interlocked.Increment(ref failed);
                }
            }

            return latencies;
        }))).ToArray();
        var all = (await Task.WhenAll(workers)).SelectMany(latencies => latencies).Order().ToList();
        var seconds = Stopwatch.GetElapsedTime(began).TotalSeconds;
        return new Measurement(all.Count / seconds, Measurement.Percentile(all, 0.50), Measurement.Percentile(all, 0.99), failed);
    }
}
