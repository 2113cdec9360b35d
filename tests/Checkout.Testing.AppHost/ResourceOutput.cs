using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Checkout.Testing.AppHost;

/// <summary>
/// What a resource of a <see cref="CheckoutApp"/> printed and how it ended, read through the app model as the
/// dashboard reads them: console lines from <see cref="ResourceLoggerService"/>, the exit code from the resource's
/// snapshot in <see cref="ResourceNotificationService"/>.
/// </summary>
public static class ResourceOutput
{
    /// <summary>Every console line <paramref name="resource"/> has printed so far (standard output and error, in order).</summary>
    public static async Task<IReadOnlyList<string>> ConsoleLinesAsync(this CheckoutApp app, string resource, CancellationToken cancellationToken = default)
    {
        var lines = new List<string>();
        await foreach (var batch in Logs(app).GetAllAsync(Resource(app, resource)).WithCancellation(cancellationToken))
            lines.AddRange(batch.Select(line => line.Content));
        return lines;
    }

    /// <summary>
    /// Waits until <paramref name="resource"/> prints a console line that <paramref name="matches"/> (or has printed one)
    /// and returns it; after <paramref name="timeout"/>, throws <see cref="TimeoutException"/> quoting its last lines.
    /// </summary>
    public static async Task<string> WaitForConsoleLineAsync(
        this CheckoutApp app, string resource, Func<string, bool> matches, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var last = new Queue<string>();
        try
        {
            // The watch starts with every line printed so far, then follows what is printed next.
            await foreach (var batch in Logs(app).WatchAsync(Resource(app, resource)).WithCancellation(deadline.Token))
            {
                foreach (var line in batch)
                {
                    if (matches(line.Content))
                        return line.Content;
                    last.Enqueue(line.Content);
                    if (last.Count > 20)
                        last.Dequeue();
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }

        cancellationToken.ThrowIfCancellationRequested();
        throw new TimeoutException(
            $"'{resource}' printed no such line within {timeout.TotalSeconds:0} s. Its last lines:{Environment.NewLine}{string.Join(Environment.NewLine, last)}");
    }

    /// <summary>
    /// Waits until <paramref name="resource"/> has stopped (Exited, Finished or FailedToStart) and returns its last
    /// snapshot: <see cref="CustomResourceSnapshot.State"/> and <see cref="CustomResourceSnapshot.ExitCode"/>.
    /// </summary>
    public static async Task<CustomResourceSnapshot> WaitForExitAsync(this CheckoutApp app, string resource, CancellationToken cancellationToken = default)
    {
        var stopped = await app.App.ResourceNotifications.WaitForResourceAsync(
            resource,
            resourceEvent => resourceEvent.Snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state),
            cancellationToken);
        return stopped.Snapshot;
    }

    private static ResourceLoggerService Logs(CheckoutApp app) => app.App.Services.GetRequiredService<ResourceLoggerService>();

    private static IResource Resource(CheckoutApp app, string name) =>
        app.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.SingleOrDefault(resource => resource.Name == name)
        ?? throw new ArgumentException($"The app has no resource named '{name}'.", nameof(name));
}
