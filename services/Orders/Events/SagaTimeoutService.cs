using Checkout.Orders.Data;
using Checkout.Orders.Domain;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Checkout.Orders.Events;

/// <summary>
/// Cancels orders still Pending <see cref="OrdersOptions.SagaTimeout"/> after they were placed (reason "timeout"),
/// emitting OrderCancelled so the other services compensate. Sweeps every fifth of the timeout in batches locked
/// with FOR UPDATE SKIP LOCKED: two instances share the work, and an order a handler is moving is left to it.
/// </summary>
public sealed partial class SagaTimeoutService(
    NpgsqlDataSource dataSource,
    OrderStore store,
    IOptions<OrdersOptions> options,
    ILogger<SagaTimeoutService> logger) : BackgroundService
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
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                // The database is unreachable for now; the next tick tries again.
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
        foreach (var order in orders)
            await store.SaveStepAsync(transaction, order, OrderSaga.TimeOut(order.Status, settings.SagaTimeout), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (orders.Count > 0)
            LogTimedOut(logger, orders.Count, settings.SagaTimeout);
        return orders.Count;
    }

    [LoggerMessage(LogLevel.Information, "Cancelled {Count} order(s) still pending after {SagaTimeout}")]
    private static partial void LogTimedOut(ILogger logger, int count, TimeSpan sagaTimeout);

    [LoggerMessage(LogLevel.Warning, "Saga timeout sweep failed; retrying at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
