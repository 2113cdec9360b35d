using Checkout.Orders.Domain;
using Checkout.Orders.Events;
using Checkout.ServiceDefaults.Messaging;
using Dapper;
using Npgsql;

namespace Checkout.Orders.Data;

/// <summary>
/// The orders database (Dapper): stores orders as <see cref="Order"/>'s decisions left them, and writes the events
/// it is given to the outbox in the same transaction, so that an event exists if and only if its change commits.
/// </summary>
public sealed class OrderStore(NpgsqlDataSource dataSource, IOutbox outbox)
{
    // An order with its lines, one row per order (the lines as arrays, in line order), for the locking reads: the
    // lines come in the same round trip as the lock, and only the order's row is locked ("FOR UPDATE OF o").
    private const string SelectOrderWithLines =
        """
        SELECT o.order_id, o.customer_id, o.status, o.total_minor, o.currency, o.cancellation_reason, l.skus, l.names, l.quantities, l.prices
        FROM orders o CROSS JOIN LATERAL (
            SELECT array_agg(sku ORDER BY line_number) AS skus, array_agg(name ORDER BY line_number) AS names,
                   array_agg(quantity ORDER BY line_number) AS quantities, array_agg(unit_price_minor ORDER BY line_number) AS prices
            FROM order_lines WHERE order_lines.order_id = o.order_id) l
        """;

    /// <summary>The order an idempotency key already names, if any.</summary>
    public async Task<ExistingOrder?> FindByIdempotencyKeyAsync(string customerId, string idempotencyKey, byte[] requestHash, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await FindByIdempotencyKeyAsync(connection, null, customerId, idempotencyKey, requestHash, cancellationToken);
    }

    /// <summary>
    /// Stores a placed order (its row, lines and timeline) and <paramref name="events"/>, claiming the idempotency key
    /// first. When another request claimed the key first (even concurrently: the insert waits for that transaction),
    /// nothing is stored and the order that request created is returned instead.
    /// </summary>
    public async Task<ExistingOrder?> PlaceAsync(OrderChange placed, IReadOnlyList<OutgoingEvent> events, string idempotencyKey, byte[] requestHash,
        CancellationToken cancellationToken)
    {
        var order = placed.Order;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var claimed = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO idempotency_keys (customer_id, idempotency_key, request_hash, order_id)
            VALUES (@CustomerId, @idempotencyKey, @requestHash, @OrderId)
            ON CONFLICT (customer_id, idempotency_key) DO NOTHING
            """,
            new { order.CustomerId, idempotencyKey, requestHash, order.OrderId }, transaction, cancellationToken: cancellationToken));
        if (claimed == 0)
        {
            // Read Committed: this new statement sees the row of the transaction that won the key.
            return await FindByIdempotencyKeyAsync(connection, transaction, order.CustomerId, idempotencyKey, requestHash, cancellationToken)
                ?? throw new InvalidOperationException($"Idempotency key of customer {order.CustomerId} conflicted but no row holds it.");
        }

        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO orders (order_id, customer_id, status, total_minor, currency) VALUES (@OrderId, @CustomerId, @status, @TotalMinor, @Currency);
            INSERT INTO order_lines (order_id, line_number, sku, name, quantity, unit_price_minor)
            SELECT @OrderId, line.n, line.sku, line.name, line.quantity, line.price
            FROM unnest(@skus, @names, @quantities, @prices) WITH ORDINALITY AS line (sku, name, quantity, price, n);
            INSERT INTO order_timeline (order_id, step, detail)
            SELECT @OrderId, entry.step, entry.detail FROM unnest(@steps, @details) WITH ORDINALITY AS entry (step, detail, n) ORDER BY entry.n;
            """,
            new
            {
                order.OrderId,
                order.CustomerId,
                status = (short)order.Status,
                order.TotalMinor,
                order.Currency,
                skus = order.Lines.Select(line => line.Sku).ToArray(),
                names = order.Lines.Select(line => line.Name).ToArray(),
                quantities = order.Lines.Select(line => line.Quantity).ToArray(),
                prices = order.Lines.Select(line => line.UnitPriceMinor).ToArray(),
                steps = placed.Timeline.Select(entry => entry.Step).ToArray(),
                details = placed.Timeline.Select(entry => entry.Detail).ToArray(),
            },
            transaction, cancellationToken: cancellationToken));
        await WriteEventsAsync(transaction, events, cancellationToken);
        await outbox.CommitAsync(transaction, cancellationToken);
        return null;
    }

    public async Task<OrderRecord?> GetAsync(Guid orderId, string? customerId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var orders = await LoadAsync(connection, null,
            "WHERE order_id = @orderId AND (@customerId::text IS NULL OR customer_id = @customerId)",
            new { orderId, customerId }, cancellationToken);
        return orders.SingleOrDefault();
    }

    /// <summary>The order as <paramref name="transaction"/> sees it, its own changes included.</summary>
    public async Task<OrderRecord> GetAsync(NpgsqlTransaction transaction, Guid orderId, CancellationToken cancellationToken) =>
        (await LoadAsync(transaction.Connection!, transaction, "WHERE order_id = @orderId", new { orderId }, cancellationToken)).Single();

    /// <summary>One page of a customer's orders, newest first, after <paramref name="before"/> (the last id of the previous page).</summary>
    public async Task<IReadOnlyList<OrderRecord>> ListAsync(string customerId, Guid? before, int pageSize, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await LoadAsync(connection, null,
            "WHERE customer_id = @customerId AND (@before::uuid IS NULL OR order_id < @before) ORDER BY order_id DESC LIMIT @pageSize",
            new { customerId, before, pageSize }, cancellationToken);
    }

    /// <summary>Locks the order's row until <paramref name="transaction"/> ends, so that its decisions are taken one at a time.</summary>
    public async Task<Order?> LockAsync(NpgsqlTransaction transaction, Guid orderId, CancellationToken cancellationToken) =>
        (await ReadLockedAsync(transaction, SelectOrderWithLines + " WHERE o.order_id = @orderId FOR UPDATE OF o",
            [new NpgsqlParameter<Guid>("orderId", orderId)], cancellationToken)).SingleOrDefault();

    /// <summary>
    /// Locks up to <paramref name="batchSize"/> Pending orders created before now - <paramref name="timeout"/>, oldest first,
    /// skipping orders another transaction holds (a handler, or another instance's sweep).
    /// </summary>
    public async Task<IReadOnlyList<Order>> LockTimedOutAsync(NpgsqlTransaction transaction, TimeSpan timeout, int batchSize, CancellationToken cancellationToken) =>
        await ReadLockedAsync(transaction,
            SelectOrderWithLines + " WHERE o.status = 1 AND o.created_at < now() - @timeout ORDER BY o.created_at LIMIT @batchSize FOR UPDATE OF o SKIP LOCKED",
            [new NpgsqlParameter<TimeSpan>("timeout", timeout), new NpgsqlParameter<int>("batchSize", batchSize)], cancellationToken);

    /// <summary>
    /// Locks the rows of <paramref name="orderIds"/> that exist until <paramref name="transaction"/> ends, in order id
    /// order, so that two transactions handling overlapping orders (an order's "inventory" and "payments" events come
    /// on different partitions) never wait for each other in a cycle. One round trip.
    /// </summary>
    public async Task<Dictionary<Guid, Order>> LockBatchAsync(NpgsqlTransaction transaction, Guid[] orderIds, CancellationToken cancellationToken) =>
        (await ReadLockedAsync(transaction, SelectOrderWithLines + " WHERE o.order_id = ANY(@orderIds) ORDER BY o.order_id FOR UPDATE OF o",
            [new NpgsqlParameter<Guid[]>("orderIds", orderIds)], cancellationToken)).ToDictionary(order => order.OrderId);

    /// <summary>
    /// Stores the changes of locked orders, in the order given (an order may change several times), in one round
    /// trip: each order's last state and its timeline entries. Changes with no timeline entry change nothing.
    /// </summary>
    public async Task SaveAsync(NpgsqlTransaction transaction, IReadOnlyList<OrderChange> changes, CancellationToken cancellationToken)
    {
        await using var writes = new NpgsqlBatch(transaction.Connection, transaction);
        AddWrites(writes, changes);
        if (writes.BatchCommands.Count > 0)
            await writes.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Adds to <paramref name="writes"/> the statements of <see cref="SaveAsync"/>, for a caller that sends them with others.</summary>
    public static void AddWrites(NpgsqlBatch writes, IReadOnlyList<OrderChange> changes)
    {
        // One row per order for the UPDATE (several rows for one order would apply only one of them): its last state.
        var orders = new Dictionary<Guid, Order>();
        var entries = new List<(Guid OrderId, TimelineStep Entry)>();
        foreach (var change in changes)
        {
            if (change.Timeline.Count == 0)
                continue;
            orders[change.Order.OrderId] = change.Order;
            entries.AddRange(change.Timeline.Select(entry => (change.Order.OrderId, entry)));
        }
        if (orders.Count == 0)
            return;
        writes.BatchCommands.Add(new NpgsqlBatchCommand(
            """
            UPDATE orders o SET status = c.status, cancellation_reason = c.reason, updated_at = now()
            FROM unnest(@orderIds::uuid[], @statuses::smallint[], @reasons::text[]) AS c (order_id, status, reason)
            WHERE o.order_id = c.order_id
            """)
        {
            Parameters =
            {
                new NpgsqlParameter<Guid[]>("orderIds", [.. orders.Keys]),
                new NpgsqlParameter<short[]>("statuses", [.. orders.Values.Select(order => (short)order.Status)]),
                new NpgsqlParameter<string?[]>("reasons", [.. orders.Values.Select(order => order.CancellationReason)]),
            },
        });
        writes.BatchCommands.Add(new NpgsqlBatchCommand(
            """
            INSERT INTO order_timeline (order_id, step, detail)
            SELECT e.order_id, e.step, e.detail
            FROM unnest(@orderIds::uuid[], @steps::text[], @details::text[]) WITH ORDINALITY AS e (order_id, step, detail, n)
            ORDER BY e.n
            """)
        {
            Parameters =
            {
                new NpgsqlParameter<Guid[]>("orderIds", [.. entries.Select(entry => entry.OrderId)]),
                new NpgsqlParameter<string[]>("steps", [.. entries.Select(entry => entry.Entry.Step)]),
                new NpgsqlParameter<string[]>("details", [.. entries.Select(entry => entry.Entry.Detail)]),
            },
        });
    }

    /// <summary>
    /// Writes <paramref name="events"/> to the outbox in <paramref name="transaction"/>. In a message handler's
    /// transaction the outbox holds them until the consumer's last round trip; elsewhere each is one insert.
    /// </summary>
    public async Task WriteEventsAsync(NpgsqlTransaction transaction, IReadOnlyList<OutgoingEvent> events, CancellationToken cancellationToken)
    {
        foreach (var @event in events)
            await outbox.WriteAsync(transaction, @event.Topic, @event.Key, @event.Payload, cancellationToken: cancellationToken);
    }

    private static async Task<ExistingOrder?> FindByIdempotencyKeyAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction,
        string customerId, string idempotencyKey, byte[] requestHash, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<(Guid OrderId, short Status, byte[] RequestHash)>(new CommandDefinition(
            """
            SELECT k.order_id, o.status, k.request_hash
            FROM idempotency_keys k JOIN orders o ON o.order_id = k.order_id
            WHERE k.customer_id = @customerId AND k.idempotency_key = @idempotencyKey
            """,
            new { customerId, idempotencyKey }, transaction, cancellationToken: cancellationToken));
        return row.OrderId == Guid.Empty ? null : new ExistingOrder(row.OrderId, (OrderStatus)row.Status, row.RequestHash.AsSpan().SequenceEqual(requestHash));
    }

    /// <summary>Orders matching <paramref name="where"/> (which may order and limit) with their lines and timelines, in two round trips.</summary>
    private static async Task<IReadOnlyList<OrderRecord>> LoadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction,
        string where, object parameters, CancellationToken cancellationToken)
    {
        var orders = (await connection.QueryAsync<OrderRow>(new CommandDefinition(
            $"""
            SELECT order_id AS OrderId, customer_id AS CustomerId, status AS Status, total_minor AS TotalMinor, currency AS Currency,
                   cancellation_reason AS CancellationReason, created_at AS CreatedAt, updated_at AS UpdatedAt
            FROM orders {where}
            """,
            parameters, transaction, cancellationToken: cancellationToken))).AsList();
        if (orders.Count == 0)
            return [];

        using var details = await connection.QueryMultipleAsync(new CommandDefinition(
            """
            SELECT order_id AS OrderId, sku AS Sku, name AS Name, quantity AS Quantity, unit_price_minor AS UnitPriceMinor
            FROM order_lines WHERE order_id = ANY(@ids) ORDER BY order_id, line_number;
            SELECT order_id AS OrderId, step AS Step, detail AS Detail, at AS At
            FROM order_timeline WHERE order_id = ANY(@ids) ORDER BY order_id, entry;
            """,
            new { ids = orders.Select(order => order.OrderId).ToArray() }, transaction, cancellationToken: cancellationToken));
        var lines = (await details.ReadAsync<(Guid OrderId, string Sku, string Name, int Quantity, long UnitPriceMinor)>())
            .ToLookup(line => line.OrderId, line => new OrderLine(line.Sku, line.Name, line.Quantity, line.UnitPriceMinor));
        var timeline = (await details.ReadAsync<(Guid OrderId, string Step, string Detail, DateTime At)>())
            .ToLookup(entry => entry.OrderId, entry => new TimelineRecord(entry.Step, entry.Detail, entry.At));
        return orders.Select(order => new OrderRecord(order.OrderId, order.CustomerId, order.Status, order.TotalMinor, order.Currency,
            order.CancellationReason, order.CreatedAt, order.UpdatedAt, [.. lines[order.OrderId]], [.. timeline[order.OrderId]])).ToList();
    }

    private sealed record OrderRow(Guid OrderId, string CustomerId, OrderStatus Status, long TotalMinor, string Currency,
        string? CancellationReason, DateTime CreatedAt, DateTime UpdatedAt);

    /// <summary>Runs a locking read of <see cref="SelectOrderWithLines"/> and makes an <see cref="Order"/> of each row.</summary>
    private static async Task<List<Order>> ReadLockedAsync(NpgsqlTransaction transaction, string sql, NpgsqlParameter[] parameters,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, transaction.Connection, transaction);
        command.Parameters.AddRange(parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var orders = new List<Order>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var skus = reader.GetFieldValue<string[]>(6);
            var names = reader.GetFieldValue<string[]>(7);
            var quantities = reader.GetFieldValue<int[]>(8);
            var prices = reader.GetFieldValue<long[]>(9);
            orders.Add(new Order(
                OrderId: reader.GetGuid(0),
                CustomerId: reader.GetString(1),
                Status: (OrderStatus)reader.GetInt16(2),
                Lines: [.. skus.Select((sku, i) => new OrderLine(sku, names[i], quantities[i], prices[i]))],
                TotalMinor: reader.GetInt64(3),
                Currency: reader.GetString(4),
                CancellationReason: reader.IsDBNull(5) ? null : reader.GetString(5)));
        }
        return orders;
    }
}
