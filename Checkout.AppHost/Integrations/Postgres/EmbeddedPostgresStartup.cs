using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Checkout.AppHost.Integrations.Postgres;

/// <summary>
/// What is checked and prepared before each start of <see cref="EmbeddedPostgresResource"/> (Aspire's
/// BeforeResourceStartedEvent, at the host's start and at every Start command): the server programs, the port, the data
/// folder (created with initdb on first use). A problem a user can cause becomes one message naming the resource and
/// what to do, rather than a server that exits with a line of its own among many, or never appears.
/// </summary>
/// <remarks>
/// Aspire 13.6 turns an exception thrown here into the state FailedToStart and writes "Failed to create resource
/// postgres" with the exception and its stack trace to the resource's log (the dashboard's console logs) only; `dotnet
/// run` shows the app host's own log on its console, not the resources' logs, so the console would show nothing. Our
/// message is therefore written first, as one line, to both.
/// </remarks>
internal static class EmbeddedPostgresStartup
{
    internal static async Task PrepareAsync(EmbeddedPostgresResource server, BeforeResourceStartedEvent @event, CancellationToken cancellationToken)
    {
        var resourceLogger = @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(server);
        try
        {
            var binaries = server.LocateBinaries();
            EnsurePortFree(server);
            await PostgresDataFolder.PrepareAsync(server.DataDirectory, binaries, $"{server.SettingsSection}:DataDirectory", resourceLogger, cancellationToken);
        }
        catch (EmbeddedInfrastructureException exception)
        {
            var message = $"PostgreSQL '{server.Name}' cannot start: {exception.Message}";
            resourceLogger.LogError("{Message}", message);
            @event.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(EmbeddedPostgresResource).FullName!).LogError("{Message}", message);
            // Without the inner exception: Aspire logs this one with its stack trace, and ours would repeat the message.
            throw new EmbeddedInfrastructureException(message);
        }
    }

    private static void EnsurePortFree(EmbeddedPostgresResource server)
    {
        // The server would fail on it too, but with "could not bind IPv4 address" among its other lines and an exit
        // code; checked here it is one message with the setting to change.
        if (!LoopbackPorts.IsFree(server.Port))
        {
            throw new EmbeddedInfrastructureException(
                $"port {server.Port} on 127.0.0.1 is already in use by another process. " +
                $"Set {server.SettingsSection}:Port to a free port, or to 0 for one picked at each start of the app host.");
        }
    }
}
