using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Checkout.ServiceDefaults.Tests;

/// <summary>
/// A real Kestrel server standing for one replica of a service: it records every request it receives, answers its
/// first <c>failures</c> requests 503 (with "Retry-After: 0", so that a retry need not wait), then 200 with
/// "{name} {path and query}".
/// </summary>
internal sealed class RecordingServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly string _name;
    private int _remainingFailures;

    private RecordingServer(string name, int failures)
    {
        _name = name;
        _remainingFailures = failures;
    }

    public RunningApp App { get; private set; } = null!;

    public Uri Address => App.Address;

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public static async Task<RecordingServer> StartAsync(string name, int failures = 0)
    {
        var server = new RecordingServer(name, failures);
        server.App = await RunningApp.StartAsync(_ => { }, app => app.Run(server.HandleAsync));
        return server;
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var pathAndQuery = $"{context.Request.Path}{context.Request.QueryString}";
        _requests.Enqueue(new RecordedRequest(context.Request.Method, pathAndQuery, await reader.ReadToEndAsync(context.RequestAborted)));
        if (Interlocked.Decrement(ref _remainingFailures) >= 0)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "0";
            return;
        }

        await context.Response.WriteAsync($"{_name} {pathAndQuery}", context.RequestAborted);
    }
}

internal sealed record RecordedRequest(string Method, string PathAndQuery, string Body);
