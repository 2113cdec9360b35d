using System.Collections.Concurrent;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Checkout.Services.Tests;

/// <summary>
/// The console lines of one resource of a <see cref="CheckoutApp"/>, as the dashboard shows them: read from
/// <see cref="ResourceLoggerService"/> from the resource's first line on (the lines written before the watch began
/// come first), across its restarts, until disposed.
/// </summary>
public sealed class ConsoleOutput : IAsyncDisposable
{
    private const int Capacity = 10_000;

    private readonly ConcurrentQueue<string> _lines = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _reading;

    private ConsoleOutput(ResourceLoggerService logs, IResource resource) =>
        _reading = Task.Run(() => ReadAsync(logs, resource));

    /// <summary>Starts reading the console lines of <paramref name="resource"/> (a resource name of the app's model).</summary>
    public static ConsoleOutput Watch(CheckoutApp app, string resource)
    {
        var model = app.App.Services.GetRequiredService<DistributedApplicationModel>();
        return new ConsoleOutput(
            app.App.Services.GetRequiredService<ResourceLoggerService>(),
            model.Resources.Single(candidate => candidate.Name == resource));
    }

    /// <summary>The last <paramref name="count"/> lines read so far, oldest first, one a line.</summary>
    public string Tail(int count = 40)
    {
        var all = _lines.ToArray();
        return string.Join(Environment.NewLine, all.Skip(Math.Max(0, all.Length - count)));
    }

    /// <summary>Waits (bounded) until a line read contains <paramref name="text"/>.</summary>
    public Task WaitForLineAsync(string text) =>
        Eventually.UntilAsync(() => _lines.Any(line => line.Contains(text, StringComparison.Ordinal)), $"the console shows a line with '{text}'");

    private async Task ReadAsync(ResourceLoggerService logs, IResource resource)
    {
        try
        {
            await foreach (var batch in logs.WatchAsync(resource).WithCancellation(_stopping.Token))
            {
                foreach (var line in batch)
                {
                    _lines.Enqueue(line.Content);
                    while (_lines.Count > Capacity)
                        _lines.TryDequeue(out _);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await _reading.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            // A watch that ignores its cancellation ends with the app, which is disposed next.
        }
        _stopping.Dispose();
    }
}
