using Checkout.Inventory.Domain;
using Dapper;
using Npgsql;

namespace Checkout.Inventory.Data;

/// <summary>
/// Stock and reservations in SQL. Whatever changes stock locks its rows first, in SKU order (COLLATE "C"), so two
/// transactions never wait for each other in a cycle; the table's CHECK constraints refuse any overselling change.
/// </summary>
/// <remarks>
/// A batch of order events reads stock without locking it and locks the rows it changes in its last round trip (the
/// writes with the commit): the demo's dozen SKUs are in nearly every batch, and rows locked from the first read to
/// the commit made the partitions' transactions queue behind each other (a 30 ms average wait at 80 checkouts/s).
/// Stock changes are deltas, so a concurrent change is never overwritten; should one have taken the units a batch
/// counted on, the CHECK refuses the write and the retry reads the stock locked (see <see cref="LoadBatchAsync"/>).
/// </remarks>
public sealed class StockRepository(NpgsqlDataSource dataSource)
{
    private const string LevelColumns = "sku AS Sku, available AS Available, reserved AS Reserved, sold AS Sold";

    /// <summary>
    /// Reads everything a batch of order events may change, in one round trip: the stock rows of <paramref name="skus"/>
    /// and of the lines reserved by <paramref name="orderIds"/>, locked (in SKU order) only when
    /// <paramref name="lockStock"/> (a retry), then the reservations of <paramref name="orderIds"/> that exist, locked
    /// until the transaction ends (an order's events are handled by one partition's transactions, so these never contend).
    /// </summary>
    public async Task<StockBatch> LoadBatchAsync(NpgsqlTransaction transaction, string[] skus, Guid[] orderIds, bool lockStock, CancellationToken cancellationToken)
    {
        await using var results = await transaction.Connection!.QueryMultipleAsync(new CommandDefinition(
            $"""
            SELECT s.sku, s.available FROM stock s
            WHERE s.sku = ANY(@skus) OR s.sku IN (SELECT l.sku FROM reservation_lines l WHERE l.order_id = ANY(@orderIds))
            ORDER BY s.sku {(lockStock ? "FOR UPDATE OF s" : "")};
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

    /// <summary>
    /// Adds to <paramref name="writes"/> the statements that store what <paramref name="batch"/> changed: the consumer
    /// sends them in one round trip with the outbox's insert and the commit.
    /// </summary>
    public static void AddBatchWrites(NpgsqlBatch writes, StockBatch batch)
    {
        var stock = batch.ChangedStock.ToList();
        if (stock.Count > 0)
        {
            // The rows are locked in SKU order before the update, whose own order of visiting them is the planner's.
            writes.BatchCommands.Add(new NpgsqlBatchCommand("SELECT 1 FROM stock WHERE sku = ANY(@skus) ORDER BY sku FOR UPDATE")
            {
                Parameters = { new NpgsqlParameter<string[]>("skus", [.. stock.Select(change => change.Sku)]) },
            });
            // Deltas, not absolute values: the CHECK constraints judge the result against the row as it is.
            writes.BatchCommands.Add(new NpgsqlBatchCommand(
                """
                UPDATE stock s
                SET available = s.available + c.available, reserved = s.reserved + c.reserved, sold = s.sold + c.sold, updated_at = now()
                FROM unnest(@skus::text[], @available::bigint[], @reserved::bigint[], @sold::bigint[]) AS c (sku, available, reserved, sold)
                WHERE s.sku = c.sku
                """)
            {
                Parameters =
                {
                    new NpgsqlParameter<string[]>("skus", [.. stock.Select(change => change.Sku)]),
                    new NpgsqlParameter<long[]>("available", [.. stock.Select(change => change.AvailableDelta)]),
                    new NpgsqlParameter<long[]>("reserved", [.. stock.Select(change => change.ReservedDelta)]),
                    new NpgsqlParameter<long[]>("sold", [.. stock.Select(change => change.SoldDelta)]),
                },
            });
        }

        var created = batch.NewReservations.ToList();
        if (created.Count > 0)
        {
            var lines = created.SelectMany(reservation => reservation.Lines.Select(line => (reservation.OrderId, line.Sku, line.Quantity))).ToList();
            writes.BatchCommands.Add(new NpgsqlBatchCommand(
                "INSERT INTO reservations (order_id, status) SELECT * FROM unnest(@orders::uuid[], @statuses::text[])")
            {
                Parameters =
                {
                    new NpgsqlParameter<Guid[]>("orders", [.. created.Select(reservation => reservation.OrderId)]),
                    new NpgsqlParameter<string[]>("statuses", [.. created.Select(reservation => ToSql(reservation.Status))]),
                },
            });
            if (lines.Count > 0)
            {
                writes.BatchCommands.Add(new NpgsqlBatchCommand(
                    "INSERT INTO reservation_lines (order_id, sku, quantity) SELECT * FROM unnest(@orders::uuid[], @skus::text[], @quantities::int[])")
                {
                    Parameters =
                    {
                        new NpgsqlParameter<Guid[]>("orders", [.. lines.Select(line => line.OrderId)]),
                        new NpgsqlParameter<string[]>("skus", [.. lines.Select(line => line.Sku)]),
                        new NpgsqlParameter<int[]>("quantities", [.. lines.Select(line => line.Quantity)]),
                    },
                });
            }
        }

        var moved = batch.MovedReservations.ToList();
        if (moved.Count > 0)
        {
            writes.BatchCommands.Add(new NpgsqlBatchCommand(
                """
                UPDATE reservations r SET status = c.status, updated_at = now()
                FROM unnest(@orders::uuid[], @statuses::text[]) AS c (order_id, status)
                WHERE r.order_id = c.order_id
                """)
            {
                Parameters =
                {
                    new NpgsqlParameter<Guid[]>("orders", [.. moved.Select(reservation => reservation.OrderId)]),
                    new NpgsqlParameter<string[]>("statuses", [.. moved.Select(reservation => ToSql(reservation.Status))]),
                },
            });
        }
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
