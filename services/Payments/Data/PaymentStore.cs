using Checkout.Payments.Domain;
using Dapper;
using Npgsql;

namespace Checkout.Payments.Data;

/// <summary>An order's payment as stored.</summary>
public sealed record PaymentRecord(
    Guid OrderId,
    PaymentStatus Status,
    bool OrderPlaced,
    bool StockReserved,
    long AmountMinor,
    string Currency,
    string? PaymentToken,
    int Attempts,
    string? ProviderReference,
    string? FailureReason,
    long RefundedMinor,
    DateTime UpdatedAt)
{
    public PaymentProgress Progress => new(Status, OrderPlaced, StockReserved);
}

/// <summary>
/// The payments database (Dapper). Each Record* call upserts the order's payment row and returns it locked until
/// the caller's transaction ends, so that the two halves of the join (and a cancellation) are applied one at a time.
/// </summary>
public sealed class PaymentStore(NpgsqlDataSource dataSource)
{
    private const string Columns =
        """
        order_id AS OrderId, status AS Status, order_placed AS OrderPlaced, stock_reserved AS StockReserved,
        amount_minor AS AmountMinor, currency AS Currency, payment_token AS PaymentToken, attempts AS Attempts,
        provider_reference AS ProviderReference, failure_reason AS FailureReason, refunded_minor AS RefundedMinor, updated_at AS UpdatedAt
        """;

    public Task<PaymentRecord> RecordOrderPlacedAsync(NpgsqlTransaction transaction, Guid orderId, long amountMinor, string currency, string token, CancellationToken cancellationToken) =>
        UpsertAsync(transaction,
            """
            INSERT INTO payments (order_id, order_placed, amount_minor, currency, payment_token)
            VALUES (@orderId, true, @amountMinor, @currency, @token)
            ON CONFLICT (order_id) DO UPDATE SET
                order_placed = true, amount_minor = EXCLUDED.amount_minor, currency = EXCLUDED.currency,
                payment_token = CASE WHEN payments.status = 1 THEN EXCLUDED.payment_token END, updated_at = now()
            """,
            new { orderId, amountMinor, currency, token }, cancellationToken);

    public Task<PaymentRecord> RecordStockReservedAsync(NpgsqlTransaction transaction, Guid orderId, CancellationToken cancellationToken) =>
        UpsertAsync(transaction,
            """
            INSERT INTO payments (order_id, stock_reserved) VALUES (@orderId, true)
            ON CONFLICT (order_id) DO UPDATE SET stock_reserved = true, updated_at = now()
            """,
            new { orderId }, cancellationToken);

    /// <summary>The payment of a cancelled order, locked (created as Pending if Payments never heard of the order).</summary>
    public Task<PaymentRecord> LockForCancellationAsync(NpgsqlTransaction transaction, Guid orderId, CancellationToken cancellationToken) =>
        UpsertAsync(transaction,
            """
            INSERT INTO payments (order_id) VALUES (@orderId)
            ON CONFLICT (order_id) DO UPDATE SET updated_at = payments.updated_at
            """,
            new { orderId }, cancellationToken);

    /// <summary>Records a decided charge; the token is dropped once it is no longer needed.</summary>
    public Task SaveChargeAsync(NpgsqlTransaction transaction, Guid orderId, PaymentStatus status, int attempts, string? reference, string? failureReason, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            UPDATE payments SET status = @status, attempts = attempts + @attempts, provider_reference = @reference,
                failure_reason = @failureReason, payment_token = NULL, updated_at = now()
            WHERE order_id = @orderId
            """,
            new { orderId, status = (short)status, attempts, reference, failureReason }, transaction, cancellationToken: cancellationToken));

    public Task SaveVoidAsync(NpgsqlTransaction transaction, Guid orderId, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "UPDATE payments SET status = 5, payment_token = NULL, updated_at = now() WHERE order_id = @orderId",
            new { orderId }, transaction, cancellationToken: cancellationToken));

    public Task SaveRefundAsync(NpgsqlTransaction transaction, Guid orderId, long refundedMinor, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "UPDATE payments SET status = 4, refunded_minor = @refundedMinor, updated_at = now() WHERE order_id = @orderId",
            new { orderId, refundedMinor }, transaction, cancellationToken: cancellationToken));

    public async Task<PaymentRecord?> GetAsync(Guid orderId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<PaymentRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM payments WHERE order_id = @orderId", new { orderId }, cancellationToken: cancellationToken));
    }

    private static Task<PaymentRecord> UpsertAsync(NpgsqlTransaction transaction, string upsert, object parameters, CancellationToken cancellationToken) =>
        transaction.Connection!.QuerySingleAsync<PaymentRecord>(new CommandDefinition(
            $"{upsert} RETURNING {Columns}", parameters, transaction, cancellationToken: cancellationToken));
}
