using Checkout.Contracts;
using Checkout.Contracts.Events.V1;
using Checkout.Orders.Domain;
using Checkout.ServiceDefaults.Messaging;
using Dapper;
using Npgsql;

namespace Checkout.Orders.Data;

/// <summary>
/// The orders database (Dapper). Every change of an order and the event announcing it are written in one
/// transaction through the outbox: the event exists if and only if the change commits.
/// </summary>
public sealed class OrderStore(NpgsqlDataSource dataSource, IOutbox outbox)
{

    /// <summary>The order an idempotency key already names, if any.</summary>
    public async Task<ExistingOrder?> FindByIdempotencyKeyAsync(string customerId, string idempotencyKey, byte[] requestHash, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await FindByIdempotencyKeyAsync(connection, null, customerId, idempotencyKey, requestHash, cancellationToken);
    }

    /// <summary>
    /// Stores the order as Pending with its "placed" timeline entry and OrderPlaced, claiming the idempotency key
    /// first. When another request claimed the key first (even concurrently: the insert waits for that transaction),
    /// nothing is stored and the order that request created is returned instead.
    /// </summary>
    public async Task<ExistingOrder?> PlaceAsync(NewOrder order, string idempotencyKey, byte[] requestHash, CancellationToken cancellationToken)
    {
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
            INSERT INTO orders (order_id, customer_id, status, total_minor, currency) VALUES (@OrderId, @CustomerId, 1, @TotalMinor, @Currency);
            INSERT INTO order_lines (order_id, line_number, sku, name, quantity, unit_price_minor)
            SELECT @OrderId, line.n, line.sku, line.name, line.quantity, line.price
            FROM unnest(@skus, @names, @quantities, @prices) WITH ORDINALITY AS line (sku, name, quantity, price, n);
            INSERT INTO order_timeline (order_id, step, detail) VALUES (@OrderId, 'placed', @detail);
            """,
            new
            {
                order.OrderId, order.CustomerId, order.TotalMinor, order.Currency,
                skus = order.Lines.Select(line => line.Sku).ToArray(),
                names = order.Lines.Select(line => line.Name).ToArray(),
                quantities = order.Lines.Select(line => line.Quantity).ToArray(),
                prices = order.Lines.Select(line => line.UnitPriceMinor).ToArray(),
                detail = $"{order.Lines.Count} line(s), {order.TotalMinor} {order.Currency}",
            },
            transaction, cancellationToken: cancellationToken));
        var placed = new OrderPlaced
        {
            OrderId = order.OrderId.ToString(),
            CustomerId = order.CustomerId,
            TotalMinor = order.TotalMinor,
            Currency = order.Currency,
            PaymentToken = order.PaymentToken,
        };
        placed.Lines.AddRange(order.Lines.Select(ToEventLine));
        await outbox.WriteAsync(transaction, Topics.Orders, placed.OrderId, placed, cancellationToken: cancellationToken);
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

    /// <summary>One page of a customer's orders, newest first, after <paramref name="before"/> (the last id of the previous page).</summary>
    public async Task<IReadOnlyList<OrderRecord>> ListAsync(string customerId, Guid? before, int pageSize, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await LoadAsync(connection, null,
            "WHERE customer_id = @customerId AND (@before::uuid IS NULL OR order_id < @before) ORDER BY order_id DESC LIMIT @pageSize",
            new { customerId, before, pageSize }, cancellationToken);
    }

    /// <summary>Cancels the order for its customer (see <see cref="OrderSaga.CancelByCustomer"/>); null when not found.</summary>
    public async Task<OrderRecord?> CancelAsync(Guid orderId, string? customerId, string? note, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var order = await LockAsync(transaction, orderId, cancellationToken);
        if (order is null || (customerId is not null && order.CustomerId != customerId))
            return null;
        await SaveStepAsync(transaction, order, OrderSaga.CancelByCustomer(order.Status, note), cancellationToken);
        var result = (await LoadAsync(connection, transaction, "WHERE order_id = @orderId", new { orderId }, cancellationToken)).Single();
        await outbox.CommitAsync(transaction, cancellationToken);
        return result;
    }

    /// <summary>Locks the order's row until <paramref name="transaction"/> ends, so that its steps are applied one at a time.</summary>
    public async Task<LockedOrder?> LockAsync(NpgsqlTransaction transaction, Guid orderId, CancellationToken cancellationToken) =>
        await transaction.Connection!.QuerySingleOrDefaultAsync<LockedOrder>(new CommandDefinition(
            """
            SELECT order_id AS OrderId, customer_id AS CustomerId, status AS Status, total_minor AS TotalMinor, currency AS Currency
            FROM orders WHERE order_id = @orderId FOR UPDATE
            """,
            new { orderId }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Locks up to <paramref name="batchSize"/> Pending orders created before now - <paramref name="timeout"/>, oldest first,
    /// skipping orders another transaction holds (a handler, or another instance's sweep).
    /// </summary>
    public async Task<IReadOnlyList<LockedOrder>> LockTimedOutAsync(NpgsqlTransaction transaction, TimeSpan timeout, int batchSize, CancellationToken cancellationToken) =>
        (await transaction.Connection!.QueryAsync<LockedOrder>(new CommandDefinition(
            """
            SELECT order_id AS OrderId, customer_id AS CustomerId, status AS Status, total_minor AS TotalMinor, currency AS Currency
            FROM orders WHERE status = 1 AND created_at < now() - @timeout
            ORDER BY created_at LIMIT @batchSize
            FOR UPDATE SKIP LOCKED
            """,
            new { timeout, batchSize }, transaction, cancellationToken: cancellationToken))).AsList();

    /// <summary>
    /// Locks the rows of <paramref name="orderIds"/> that exist until <paramref name="transaction"/> ends, in order id
    /// order, so that two transactions handling overlapping orders (an order's "inventory" and "payments" events come
    /// on different partitions) never wait for each other in a cycle. One round trip.
    /// </summary>
    public async Task<Dictionary<Guid, LockedOrder>> LockBatchAsync(NpgsqlTransaction transaction, Guid[] orderIds, CancellationToken cancellationToken) =>
        (await transaction.Connection!.QueryAsync<LockedOrder>(new CommandDefinition(
            """
            SELECT order_id AS OrderId, customer_id AS CustomerId, status AS Status, total_minor AS TotalMinor, currency AS Currency
            FROM orders WHERE order_id = ANY(@orderIds) ORDER BY order_id FOR UPDATE
            """,
            new { orderIds }, transaction, cancellationToken: cancellationToken))).ToDictionary(order => order.OrderId);

    /// <summary>
    /// Stores a step of a locked order: its status, its timeline entries and, when it settled the order,
    /// OrderConfirmed or OrderCancelled (with the lines, so that compensations need no lookup).
    /// </summary>
    public async Task SaveStepAsync(NpgsqlTransaction transaction, LockedOrder order, SagaStep step, CancellationToken cancellationToken)
    {
        await SaveStepsAsync(transaction, [(order.OrderId, step)], cancellationToken);
        await WriteSettledEventAsync(transaction, order, step, cancellationToken);
    }

    /// <summary>
    /// Stores the steps of locked orders, in the order given (an order may take several), in one round trip: each
    /// order's last status and its timeline entries. Steps with no timeline entry change nothing.
    /// </summary>
    public async Task SaveStepsAsync(NpgsqlTransaction transaction, IReadOnlyList<(Guid OrderId, SagaStep Step)> steps, CancellationToken cancellationToken)
    {
        await using var writes = new NpgsqlBatch(transaction.Connection, transaction);
        AddStepWrites(writes, steps);
        if (writes.BatchCommands.Count > 0)
            await writes.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Adds to <paramref name="writes"/> the statements of <see cref="SaveStepsAsync"/>, for a caller that sends them with others.</summary>
    public static void AddStepWrites(NpgsqlBatch writes, IReadOnlyList<(Guid OrderId, SagaStep Step)> steps)
    {
        // One row per order for the UPDATE (several rows for one order would apply only one of them).
        var orders = new Dictionary<Guid, (short Status, string? Reason)>();
        var entries = new List<(Guid OrderId, TimelineStep Entry)>();
        foreach (var (orderId, step) in steps)
        {
            if (step.Timeline.Count == 0)
                continue;
            var reason = step.CancellationReason ?? (orders.TryGetValue(orderId, out var earlier) ? earlier.Reason : null);
            orders[orderId] = ((short)step.Status, reason);
            entries.AddRange(step.Timeline.Select(entry => (orderId, entry)));
        }
        if (orders.Count == 0)
            return;
        writes.BatchCommands.Add(new NpgsqlBatchCommand(
            """
            UPDATE orders o SET status = c.status, cancellation_reason = COALESCE(c.reason, o.cancellation_reason), updated_at = now()
            FROM unnest(@orderIds::uuid[], @statuses::smallint[], @reasons::text[]) AS c (order_id, status, reason)
            WHERE o.order_id = c.order_id
            """)
        {
            Parameters =
            {
                new NpgsqlParameter<Guid[]>("orderIds", [.. orders.Keys]),
                new NpgsqlParameter<short[]>("statuses", [.. orders.Values.Select(order => order.Status)]),
                new NpgsqlParameter<string?[]>("reasons", [.. orders.Values.Select(order => order.Reason)]),
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
                new NpgsqlParameter<string?[]>("details", [.. entries.Select(entry => entry.Entry.Detail)]),
            },
        });
    }

    /// <summary>Writes OrderConfirmed or OrderCancelled (with the lines) to the outbox when <paramref name="step"/> settled the order.</summary>
    public async Task WriteSettledEventAsync(NpgsqlTransaction transaction, LockedOrder order, SagaStep step, CancellationToken cancellationToken)
    {
        var key = order.OrderId.ToString();
        if (step.Confirmed(order.Status))
        {
            await outbox.WriteAsync(transaction, Topics.Orders, key, new OrderConfirmed
            {
                OrderId = key, CustomerId = order.CustomerId, TotalMinor = order.TotalMinor, Currency = order.Currency,
            }, cancellationToken: cancellationToken);
        }
        else if (step.Cancelled(order.Status))
        {
            var cancelled = new OrderCancelled { OrderId = key, CustomerId = order.CustomerId, Reason = step.CancellationReason, WasConfirmed = step.WasConfirmed };
            var lines = await transaction.Connection!.QueryAsync<OrderLineRecord>(new CommandDefinition(
                "SELECT sku, name, quantity, unit_price_minor AS UnitPriceMinor FROM order_lines WHERE order_id = @OrderId ORDER BY line_number",
                new { order.OrderId }, transaction, cancellationToken: cancellationToken));
            cancelled.Lines.AddRange(lines.Select(ToEventLine));
            await outbox.WriteAsync(transaction, Topics.Orders, key, cancelled, cancellationToken: cancellationToken);
        }
    }

    private static EventLine ToEventLine(OrderLineRecord line) =>
        new() { Sku = line.Sku, Quantity = line.Quantity, UnitPriceMinor = line.UnitPriceMinor };

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
            .ToLookup(line => line.OrderId, line => new OrderLineRecord(line.Sku, line.Name, line.Quantity, line.UnitPriceMinor));
        var timeline = (await details.ReadAsync<(Guid OrderId, string Step, string Detail, DateTime At)>())
            .ToLookup(entry => entry.OrderId, entry => new TimelineRecord(entry.Step, entry.Detail, entry.At));
        return orders.Select(order => new OrderRecord(order.OrderId, order.CustomerId, order.Status, order.TotalMinor, order.Currency,
            order.CancellationReason, order.CreatedAt, order.UpdatedAt, [.. lines[order.OrderId]], [.. timeline[order.OrderId]])).ToList();
    }

    private sealed record OrderRow(Guid OrderId, string CustomerId, OrderStatus Status, long TotalMinor, string Currency,
        string? CancellationReason, DateTime CreatedAt, DateTime UpdatedAt);
}

/// <summary>An order whose row the current transaction holds.</summary>
public sealed record LockedOrder(Guid OrderId, string CustomerId, OrderStatus Status, long TotalMinor, string Currency);
