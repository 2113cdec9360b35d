using Checkout.Orders.Data;
using Checkout.Orders.Events;
using Checkout.ServiceDefaults.Messaging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Checkout.Orders.Sweeps;

/// <summary>
/// Cancels orders still Pending <see cref="OrdersOptions.SagaTimeout"/> after they were placed (reason "timeout"),
/// publishing OrderCancelled so the other services compensate. Sweeps every fifth of the timeout in batches locked
/// with FOR UPDATE SKIP LOCKED: two instances share the work, and an order a handler is moving is left to it.
/// </summary>
public sealed partial class SagaTimeoutSweep(
    NpgsqlDataSource dataSource,
    OrderStore store,
    IOutbox outbox,
    IOptions<OrdersOptions> options,
    ILogger<SagaTimeoutSweep> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.SagaTimeout / 5);
        do
        {
            try
            {
                while (await SweepBatchAsync(settings, stoppingToken) == settings.SweepBatchSize)
                {
                    // A full batch: more may be waiting.
                }
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // An outage or a conflict (a deadlock, say) alike: the sweep is retried whole at the next tick, and
                // ending this service over it would stop cancelling timed-out orders for good.
                LogSweepFailed(logger, exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<int> SweepBatchAsync(OrdersOptions settings, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var orders = await store.LockTimedOutAsync(transaction, settings.SagaTimeout, settings.SweepBatchSize, cancellationToken);
        var changes = orders.Select(order => order.TimeOut(settings.SagaTimeout)).ToList();
        await store.SaveAsync(transaction, changes, cancellationToken);
        await store.WriteEventsAsync(transaction, OutgoingEvent.From([.. changes.SelectMany(change => change.Events)]), cancellationToken);
        await outbox.CommitAsync(transaction, cancellationToken);
        if (orders.Count > 0)
            LogTimedOut(logger, orders.Count, settings.SagaTimeout);
        return orders.Count;
    }

    [LoggerMessage(LogLevel.Information, "Cancelled {Count} order(s) still pending after {SagaTimeout}")]
    private static partial void LogTimedOut(ILogger logger, int count, TimeSpan sagaTimeout);

    [LoggerMessage(LogLevel.Warning, "Saga timeout sweep failed; retrying at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
