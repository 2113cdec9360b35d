using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Checkout.Testing.AppHost;

/// <summary>
/// Copies the console lines of some resources of a <see cref="CheckoutApp"/> into loggers (category: the resource's
/// name) while it lives, so that a failing test's output shows what the services printed meanwhile. Dispose it before
/// the app.
/// </summary>
public sealed class ResourceLogForwarder : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _forwarding;

    public ResourceLogForwarder(CheckoutApp app, ILoggerFactory loggers, IEnumerable<string> resources)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(loggers);
        var logs = app.App.Services.GetRequiredService<ResourceLoggerService>();
        var model = app.App.Services.GetRequiredService<DistributedApplicationModel>();
        _forwarding = resources
            .Select(name => ForwardAsync(logs, model.Resources.Single(resource => resource.Name == name), loggers.CreateLogger(name), _stop.Token))
            .ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_forwarding);
        _stop.Dispose();
    }

    private static async Task ForwardAsync(ResourceLoggerService logs, IResource resource, ILogger logger, CancellationToken stop)
    {
        await Task.Yield();
        try
        {
            await foreach (var batch in logs.WatchAsync(resource).WithCancellation(stop))
            {
                foreach (var line in batch)
                    logger.Log(line.IsErrorMessage ? LogLevel.Warning : LogLevel.Information, "{Line}", line.Content);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
