using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Checkout.Grpc.Tests;

/// <summary>
/// A running grpc-js echo server (interop/server.js) and what it reports on stdout: the Wait calls it received, and
/// those it saw cancelled.
/// Disposing it kills the process; it also exits by itself when our end of its stdin closes (our process ended).
/// </summary>
public sealed class NodeServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _arrivals = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _cancellations = new();
    private readonly Task _reading;

    internal NodeServer(Process process, int port)
    {
        _process = process;
        Address = new Uri($"http://127.0.0.1:{port}");
        _reading = Task.Run(ReadReportsAsync);
        // Drained so that a chatty stderr never blocks the server.
        _ = Task.Run(() => process.StandardError.ReadToEndAsync());
    }

    public Uri Address { get; }

    /// <summary>Completes when the server reports that a Wait call with this message arrived.</summary>
    public Task ArrivalOf(string message) => Source(_arrivals, message).Task;

    /// <summary>Completes when the server reports that a Wait call with this message was cancelled.</summary>
    public Task CancellationOf(string message) => Source(_cancellations, message).Task;

    private static TaskCompletionSource Source(ConcurrentDictionary<string, TaskCompletionSource> sources, string message) =>
        sources.GetOrAdd(message, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private async Task ReadReportsAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            using var report = JsonDocument.Parse(line);
            if (report.RootElement.TryGetProperty("waiting", out var arrived))
                Source(_arrivals, arrived.GetString()!).TrySetResult();
            if (report.RootElement.TryGetProperty("cancelled", out var cancelled))
                Source(_cancellations, cancelled.GetString()!).TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        await _reading;
        _process.Dispose();
    }
}
