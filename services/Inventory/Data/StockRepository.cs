using Checkout.Inventory.Domain;
using Dapper;
using Npgsql;

namespace Checkout.Inventory.Data;

/// <summary>
/// Stock and reservations in SQL. Whatever changes stock locks its rows first, in SKU order (COLLATE "C"), so two
/// transactions never wait for each other in a cycle; the table's CHECK constraints refuse any overselling change.
/// </summary>
public sealed class StockRepository(NpgsqlDataSource dataSource)
{
    private const string LevelColumns = "sku AS Sku, available AS Available, reserved AS Reserved, sold AS Sold";

    /// <summary>
    /// Locks until the transaction ends, in SKU order, the stock rows of <paramref name="skus"/> and those reserved by
    /// <paramref name="orderIds"/>: everything a batch of order events will change, before any of it changes.
    /// </summary>
    public Task LockStockAsync(NpgsqlTransaction transaction, string[] skus, Guid[] orderIds, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            SELECT s.sku FROM stock s
            WHERE s.sku = ANY(@skus) OR s.sku IN (SELECT l.sku FROM reservation_lines l WHERE l.order_id = ANY(@orderIds))
            ORDER BY s.sku FOR UPDATE OF s
            """,
            new { skus, orderIds }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Whether the order already has a reservation, and the available stock of <paramref name="skus"/>, whose rows stay
    /// locked until the transaction ends. SKUs Inventory does not stock are absent.
    /// </summary>
    public async Task<(bool Seen, Dictionary<string, long> Available)> LockForReservationAsync(
        NpgsqlTransaction transaction, Guid orderId, string[] skus, CancellationToken cancellationToken)
    {
        await using var results = await transaction.Connection!.QueryMultipleAsync(new CommandDefinition(
            """
            SELECT EXISTS (SELECT 1 FROM reservations WHERE order_id = @orderId);
            SELECT sku, available FROM stock WHERE sku = ANY(@skus) ORDER BY sku FOR UPDATE;
            """,
            new { orderId, skus }, transaction, cancellationToken: cancellationToken));
        var seen = await results.ReadSingleAsync<bool>();
        var available = (await results.ReadAsync<(string Sku, long Available)>()).ToDictionary(row => row.Sku, row => row.Available, StringComparer.Ordinal);
        return (seen, available);
    }

    /// <summary>Moves every line from available to reserved and records the reservation (rows locked by <see cref="LockForReservationAsync"/>).</summary>
    public Task ReserveAsync(NpgsqlTransaction transaction, Guid orderId, IReadOnlyList<OrderLine> lines, CancellationToken cancellationToken)
    {
        var skus = lines.Select(line => line.Sku).ToArray();
        var quantities = lines.Select(line => line.Quantity).ToArray();
        return transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            UPDATE stock s
            SET available = s.available - l.quantity, reserved = s.reserved + l.quantity, updated_at = now()
            FROM unnest(@skus::text[], @quantities::int[]) AS l (sku, quantity)
            WHERE s.sku = l.sku;
            INSERT INTO reservations (order_id, status) VALUES (@orderId, 'reserved');
            INSERT INTO reservation_lines (order_id, sku, quantity)
            SELECT @orderId, l.sku, l.quantity FROM unnest(@skus::text[], @quantities::int[]) AS l (sku, quantity);
            """,
            new { orderId, skus, quantities }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>Records an order that holds nothing (rejected, or cancelled before it was seen placed).</summary>
    public Task RecordWithoutStockAsync(NpgsqlTransaction transaction, Guid orderId, ReservationStatus status, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "INSERT INTO reservations (order_id, status) VALUES (@orderId, @status)",
            new { orderId, status = ToSql(status) }, transaction, cancellationToken: cancellationToken));

    /// <summary>The order's reservation status, its row locked until the transaction ends; null when the order is unknown.</summary>
    public async Task<ReservationStatus?> LockReservationAsync(NpgsqlTransaction transaction, Guid orderId, CancellationToken cancellationToken)
    {
        var status = await transaction.Connection!.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT status FROM reservations WHERE order_id = @orderId FOR UPDATE",
            new { orderId }, transaction, cancellationToken: cancellationToken));
        return status is null ? null : Enum.Parse<ReservationStatus>(status, ignoreCase: true);
    }

    /// <summary>Applies <paramref name="move"/> to the reservation (locked by <see cref="LockReservationAsync"/>) and all its units.</summary>
    public Task MoveAsync(NpgsqlTransaction transaction, Guid orderId, StockMove move, CancellationToken cancellationToken)
    {
        // Column names come from the enum, never from input.
        var source = ToSql(move.Source);
        var target = ToSql(move.Target);
        return transaction.Connection!.ExecuteAsync(new CommandDefinition(
            $"""
            SELECT s.sku FROM stock s JOIN reservation_lines l ON l.sku = s.sku
            WHERE l.order_id = @orderId ORDER BY s.sku FOR UPDATE OF s;
            UPDATE stock s
            SET {source} = s.{source} - l.quantity, {target} = s.{target} + l.quantity, updated_at = now()
            FROM reservation_lines l
            WHERE l.order_id = @orderId AND s.sku = l.sku;
            UPDATE reservations SET status = @to, updated_at = now() WHERE order_id = @orderId AND status = @from;
            """,
            new { orderId, from = ToSql(move.From), to = ToSql(move.To) }, transaction, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<StockLevel>> GetAllAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<StockLevel>(new CommandDefinition(
            $"SELECT {LevelColumns} FROM stock ORDER BY sku", cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>The stock of those of <paramref name="skus"/> that Inventory stocks, in SKU order.</summary>
    public async Task<IReadOnlyList<StockLevel>> GetAsync(string[] skus, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<StockLevel>(new CommandDefinition(
            $"SELECT {LevelColumns} FROM stock WHERE sku = ANY(@skus) ORDER BY sku", new { skus }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Adds <paramref name="quantity"/> available units (and to the total ever added), creating the SKU's row when new.</summary>
    public async Task<StockLevel> RestockAsync(string sku, int quantity, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<StockLevel>(new CommandDefinition(
            $"""
            INSERT INTO stock (sku, available, reserved, sold, total_added) VALUES (@sku, @quantity, 0, 0, @quantity)
            ON CONFLICT (sku) DO UPDATE
            SET available = stock.available + excluded.available, total_added = stock.total_added + excluded.total_added, updated_at = now()
            RETURNING {LevelColumns}
            """,
            new { sku, quantity = (long)quantity }, cancellationToken: cancellationToken));
    }

    private static string ToSql(ReservationStatus status) => status.ToString().ToLowerInvariant();

    private static string ToSql(StockBucket bucket) => bucket.ToString().ToLowerInvariant();
}
