using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Checkout.ServiceDefaults.Messaging;

/// <summary>Refreshes the outbox backlog metrics and deletes sent outbox rows and inbox rows past the retention period.</summary>
internal sealed partial class MessagingMaintenance(
    NpgsqlDataSource dataSource,
    OutboxStatistics statistics,
    IOptions<MessagingOptions> options,
    ILogger<MessagingMaintenance> logger) : BackgroundService
{
    private readonly OutboxOptions _settings = options.Value.Outbox;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextCleanup = DateTimeOffset.MinValue;
        using var timer = new PeriodicTimer(_settings.StatisticsInterval);
        do
        {
            try
            {
                await statistics.RefreshAsync(stoppingToken);
                if (DateTimeOffset.UtcNow >= nextCleanup)
                {
                    await CleanUpAsync(stoppingToken);
                    nextCleanup = DateTimeOffset.UtcNow + _settings.CleanupInterval;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogFailed(logger, exception);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task CleanUpAsync(CancellationToken cancellationToken)
    {
        // The inbox must remember a message at least as long as it can be redelivered; the same retention covers both.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            """
            DELETE FROM messaging.outbox WHERE sent_at < now() - @retention;
            DELETE FROM messaging.inbox WHERE handled_at < now() - @retention;
            """, new { retention = _settings.Retention }, cancellationToken: cancellationToken));
        if (deleted > 0)
            LogCleanedUp(logger, deleted);
    }

    [LoggerMessage(LogLevel.Warning, "Messaging maintenance (backlog statistics, retention clean-up) failed; retried on the next tick")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogLevel.Information, "Deleted {Count} outbox and inbox rows past the retention period")]
    private static partial void LogCleanedUp(ILogger logger, int count);
}
