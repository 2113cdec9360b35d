using Checkout.Notifications.Domain;
using Dapper;
using Npgsql;

namespace Checkout.Notifications.Data;

public sealed class NotificationRepository(NpgsqlDataSource dataSource)
{
    /// <summary>Records a notification unless the order already has one of its kind; returns whether it was new.</summary>
    public async Task<bool> TryAddAsync(NpgsqlTransaction transaction, Guid orderId, string customerId, string kind,
        string subject, string body, CancellationToken cancellationToken)
    {
        var inserted = await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO notifications (notification_id, customer_id, order_id, kind, subject, body)
            VALUES (@notificationId, @customerId, @orderId, @kind, @subject, @body)
            ON CONFLICT (order_id, kind) DO NOTHING
            """,
            new { notificationId = Guid.CreateVersion7(), customerId, orderId, kind, subject, body },
            transaction, cancellationToken: cancellationToken));
        return inserted == 1;
    }

    /// <summary>
    /// Up to <paramref name="limit"/> of a customer's notifications (of one order when <paramref name="orderId"/> is set),
    /// newest first, sent before the one of sequence <paramref name="beforeSequence"/> (none for the first page).
    /// </summary>
    public async Task<IReadOnlyList<Notification>> ListAsync(string customerId, Guid? orderId, long? beforeSequence,
        int limit, CancellationToken cancellationToken)
    {
        var sql = "SELECT notification_id AS NotificationId, sequence AS Sequence, customer_id AS CustomerId, order_id AS OrderId, kind AS Kind, subject AS Subject, body AS Body, sent_at AS SentAt"
            + " FROM notifications WHERE customer_id = @customerId"
            + (orderId is null ? "" : " AND order_id = @orderId")
            + (beforeSequence is null ? "" : " AND sequence < @beforeSequence")
            + " ORDER BY sequence DESC LIMIT @limit";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Notification>(new CommandDefinition(sql,
            new { customerId, orderId, beforeSequence, limit }, cancellationToken: cancellationToken));
        return rows.AsList();
    }
}
