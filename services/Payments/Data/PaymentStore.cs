using Dapper;
using Npgsql;

namespace Checkout.Payments.Data;

/// <summary>
/// The payments database (Dapper). A batch of saga events locks its payment rows up front (<see cref="LockBatchAsync"/>),
/// is decided in memory and written back at once (<see cref="AddBatchWrites"/>), so that the two halves of the join
/// (and a cancellation), arriving on different partitions, are applied one transaction at a time.
/// </summary>
public sealed class PaymentStore(NpgsqlDataSource dataSource)
{
    private const string Columns =
        """
        order_id AS OrderId, status AS Status, order_placed AS OrderPlaced, stock_reserved AS StockReserved,
        amount_minor AS AmountMinor, currency AS Currency, payment_token AS PaymentToken, attempts AS Attempts,
        provider_reference AS ProviderReference, failure_reason AS FailureReason, refunded_minor AS RefundedMinor, updated_at AS UpdatedAt
        """;

    /// <summary>
    /// The payments of <paramref name="orderIds"/>, each created as Pending when Payments has not heard of the order
    /// yet, all locked until the transaction ends. Rows are created and locked in order id order, so two transactions
    /// (the "orders" and the "inventory" partition of the same orders) never wait for each other in a cycle. One round trip.
    /// </summary>
    public async Task<Dictionary<Guid, PaymentRecord>> LockBatchAsync(NpgsqlTransaction transaction, Guid[] orderIds, CancellationToken cancellationToken)
    {
        var payments = await transaction.Connection!.QueryAsync<PaymentRecord>(new CommandDefinition(
            $"""
            INSERT INTO payments (order_id) SELECT id FROM unnest(@orderIds::uuid[]) AS id ORDER BY id ON CONFLICT (order_id) DO NOTHING;
            SELECT {Columns} FROM payments WHERE order_id = ANY(@orderIds) ORDER BY order_id FOR UPDATE;
            """,
            new { orderIds }, transaction, cancellationToken: cancellationToken));
        return payments.ToDictionary(payment => payment.OrderId);
    }

    /// <summary>
    /// Adds to <paramref name="writes"/> the statement that stores <paramref name="payments"/> as they are now (their rows
    /// locked by <see cref="LockBatchAsync"/>): the consumer sends it in one round trip with the outbox's insert.
    /// </summary>
    public static void AddBatchWrites(NpgsqlBatch writes, IReadOnlyCollection<PaymentRecord> payments)
    {
        if (payments.Count == 0)
            return;
        writes.BatchCommands.Add(new NpgsqlBatchCommand(
            """
            UPDATE payments p SET
                status = c.status, order_placed = c.order_placed, stock_reserved = c.stock_reserved,
                amount_minor = c.amount_minor, currency = c.currency, payment_token = c.payment_token, attempts = c.attempts,
                provider_reference = c.provider_reference, failure_reason = c.failure_reason, refunded_minor = c.refunded_minor,
                updated_at = now()
            FROM unnest(@orderIds::uuid[], @statuses::smallint[], @ordersPlaced::boolean[], @stocksReserved::boolean[],
                        @amounts::bigint[], @currencies::text[], @tokens::text[], @attempts::integer[],
                        @references::text[], @failureReasons::text[], @refunded::bigint[])
                 AS c (order_id, status, order_placed, stock_reserved, amount_minor, currency, payment_token, attempts,
                       provider_reference, failure_reason, refunded_minor)
            WHERE p.order_id = c.order_id
            """)
        {
            Parameters =
            {
                new NpgsqlParameter<Guid[]>("orderIds", [.. payments.Select(p => p.OrderId)]),
                new NpgsqlParameter<short[]>("statuses", [.. payments.Select(p => (short)p.Status)]),
                new NpgsqlParameter<bool[]>("ordersPlaced", [.. payments.Select(p => p.OrderPlaced)]),
                new NpgsqlParameter<bool[]>("stocksReserved", [.. payments.Select(p => p.StockReserved)]),
                new NpgsqlParameter<long[]>("amounts", [.. payments.Select(p => p.AmountMinor)]),
                new NpgsqlParameter<string?[]>("currencies", [.. payments.Select(p => p.Currency)]),
                new NpgsqlParameter<string?[]>("tokens", [.. payments.Select(p => p.PaymentToken)]),
                new NpgsqlParameter<int[]>("attempts", [.. payments.Select(p => p.Attempts)]),
                new NpgsqlParameter<string?[]>("references", [.. payments.Select(p => p.ProviderReference)]),
                new NpgsqlParameter<string?[]>("failureReasons", [.. payments.Select(p => p.FailureReason)]),
                new NpgsqlParameter<long[]>("refunded", [.. payments.Select(p => p.RefundedMinor)]),
            },
        });
    }

    public async Task<PaymentRecord?> GetAsync(Guid orderId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<PaymentRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM payments WHERE order_id = @orderId", new { orderId }, cancellationToken: cancellationToken));
    }
}
