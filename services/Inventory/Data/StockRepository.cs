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
    /// Locks until the transaction ends everything a batch of order events may change, and reads it: first the stock
    /// rows of <paramref name="skus"/> and of the lines reserved by <paramref name="orderIds"/>, in SKU order (so two
    /// batches never wait for each other in a cycle), then the reservations of <paramref name="orderIds"/> that exist.
    /// One round trip.
    /// </summary>
    public async Task<StockBatch> LoadBatchAsync(NpgsqlTransaction transaction, string[] skus, Guid[] orderIds, CancellationToken cancellationToken)
    {
        await using var results = await transaction.Connection!.QueryMultipleAsync(new CommandDefinition(
            """
            SELECT s.sku, s.available FROM stock s
            WHERE s.sku = ANY(@skus) OR s.sku IN (SELECT l.sku FROM reservation_lines l WHERE l.order_id = ANY(@orderIds))
            ORDER BY s.sku FOR UPDATE OF s;
            SELECT r.order_id, r.status, l.sku, l.quantity
            FROM reservations r LEFT JOIN reservation_lines l ON l.order_id = r.order_id
            WHERE r.order_id = ANY(@orderIds)
            FOR UPDATE OF r;
            """,
            new { skus, orderIds }, transaction, cancellationToken: cancellationToken));
        var stock = (await results.ReadAsync<(string Sku, long Available)>())
            .ToDictionary(row => row.Sku, row => new StockChange(row.Sku, row.Available), StringComparer.Ordinal);
        var reservations = (await results.ReadAsync<(Guid OrderId, string Status, string? Sku, int? Quantity)>())
            .GroupBy(row => row.OrderId)
            .ToDictionary(
                order => order.Key,
                order => new ReservationState(order.Key, Enum.Parse<ReservationStatus>(order.First().Status, ignoreCase: true),
                    order.Where(row => row.Sku is not null).Select(row => new OrderLine(row.Sku!, row.Quantity!.Value)).ToList(), isNew: false));
        return new StockBatch(stock, reservations);
    }

    /// <summary>Writes what <paramref name="batch"/> changed (rows locked by <see cref="LoadBatchAsync"/>) in one round trip.</summary>
    public Task SaveBatchAsync(NpgsqlTransaction transaction, StockBatch batch, CancellationToken cancellationToken)
    {
        var stock = batch.ChangedStock.ToList();
        var created = batch.NewReservations.ToList();
        var moved = batch.MovedReservations.ToList();
        if (stock.Count == 0 && created.Count == 0 && moved.Count == 0)
            return Task.CompletedTask;
        var lines = created.SelectMany(reservation => reservation.Lines.Select(line => (reservation.OrderId, line.Sku, line.Quantity))).ToList();
        // Deltas, not absolute values: the CHECK constraints judge the result against the row as it is.
        return transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            UPDATE stock s
            SET available = s.available + c.available, reserved = s.reserved + c.reserved, sold = s.sold + c.sold, updated_at = now()
            FROM unnest(@stockSkus::text[], @availableDeltas::bigint[], @reservedDeltas::bigint[], @soldDeltas::bigint[]) AS c (sku, available, reserved, sold)
            WHERE s.sku = c.sku;
            INSERT INTO reservations (order_id, status)
            SELECT * FROM unnest(@createdOrders::uuid[], @createdStatuses::text[]);
            INSERT INTO reservation_lines (order_id, sku, quantity)
            SELECT * FROM unnest(@lineOrders::uuid[], @lineSkus::text[], @lineQuantities::int[]);
            UPDATE reservations r SET status = c.status, updated_at = now()
            FROM unnest(@movedOrders::uuid[], @movedStatuses::text[]) AS c (order_id, status)
            WHERE r.order_id = c.order_id;
            """,
            new
            {
                stockSkus = stock.Select(change => change.Sku).ToArray(),
                availableDeltas = stock.Select(change => change.AvailableDelta).ToArray(),
                reservedDeltas = stock.Select(change => change.ReservedDelta).ToArray(),
                soldDeltas = stock.Select(change => change.SoldDelta).ToArray(),
                createdOrders = created.Select(reservation => reservation.OrderId).ToArray(),
                createdStatuses = created.Select(reservation => ToSql(reservation.Status)).ToArray(),
                lineOrders = lines.Select(line => line.OrderId).ToArray(),
                lineSkus = lines.Select(line => line.Sku).ToArray(),
                lineQuantities = lines.Select(line => line.Quantity).ToArray(),
                movedOrders = moved.Select(reservation => reservation.OrderId).ToArray(),
                movedStatuses = moved.Select(reservation => ToSql(reservation.Status)).ToArray(),
            },
            transaction, cancellationToken: cancellationToken));
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

}
