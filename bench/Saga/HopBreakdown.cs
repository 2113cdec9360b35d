using System.Globalization;
using System.Text;
using Checkout.Testing.AppHost;
using Npgsql;

namespace Checkout.Bench.Saga;

/// <summary>
/// Where a checkout's time goes, hop by hop, read from the messaging tables the services keep anyway: an outbox
/// row's created_at (the writing transaction's start), its sent_at (the start of the dispatcher round that published
/// it) and the consumer's inbox handled_at (the start of the handling transaction). All five databases live on one
/// cluster, so the timestamps share a clock.
/// </summary>
internal static class HopBreakdown
{
    private sealed record OutboxRow(Guid MessageId, string Key, DateTime Created, DateTime Sent);

    /// <summary>The database clock now, to bound a run.</summary>
    public static async Task<DateTime> NowAsync(CheckoutApp system)
    {
        await using var connection = new NpgsqlConnection(await system.ConnectionStringAsync("ordersdb"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT now()", connection);
        return (DateTime)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>p50/p99 of each stage for the orders placed between <paramref name="from"/> and <paramref name="to"/> and confirmed.</summary>
    public static async Task<string> DescribeAsync(CheckoutApp system, DateTime from, DateTime to)
    {
        var ordersOut = await OutboxAsync(system, "orders", from, to.AddMinutes(1));
        var placed = ordersOut.GroupBy(row => row.Key).Where(g => g.First().Created <= to && g.Count() >= 2)
            .ToDictionary(g => g.Key, g => (Placed: g.First(), Settled: g.Skip(1).First()), StringComparer.Ordinal);
        var inventoryOut = (await OutboxAsync(system, "inventory", from, to.AddMinutes(1))).ToDictionary(row => row.Key, StringComparer.Ordinal);
        var paymentsOut = (await OutboxAsync(system, "payments", from, to.AddMinutes(1))).ToDictionary(row => row.Key, StringComparer.Ordinal);
        var inventoryIn = await InboxAsync(system, "inventory", from);
        var paymentsIn = await InboxAsync(system, "payments", from);
        var ordersIn = await InboxAsync(system, "orders", from);

        var stages = new (string Name, List<double> Samples)[]
        {
            ("Orders: OrderPlaced committed -> dispatcher round", []),
            ("OrderPlaced published -> Inventory handles it", []),
            ("Inventory: handling + InventoryReserved -> dispatcher round", []),
            ("InventoryReserved published -> Payments handles it", []),
            ("Payments: handling (provider call) + PaymentSucceeded -> dispatcher round", []),
            ("PaymentSucceeded published -> Orders handles it", []),
            ("Orders: handling + OrderConfirmed -> dispatcher round", []),
            ("OrderPlaced committed -> OrderConfirmed dispatcher round (sum)", []),
        };
        foreach (var (key, order) in placed)
        {
            if (!inventoryOut.TryGetValue(key, out var reserved) || !paymentsOut.TryGetValue(key, out var paid)
                || !inventoryIn.TryGetValue(order.Placed.MessageId, out var inventoryHandled)
                || !paymentsIn.TryGetValue(reserved.MessageId, out var paymentsHandled)
                || !ordersIn.TryGetValue(paid.MessageId, out var ordersHandled))
            {
                continue;
            }

            double[] values =
            [
                Ms(order.Placed.Created, order.Placed.Sent), Ms(order.Placed.Sent, inventoryHandled),
                Ms(reserved.Created, reserved.Sent), Ms(reserved.Sent, paymentsHandled),
                Ms(paid.Created, paid.Sent), Ms(paid.Sent, ordersHandled),
                Ms(order.Settled.Created, order.Settled.Sent), Ms(order.Placed.Created, order.Settled.Sent),
            ];
            for (var i = 0; i < values.Length; i++)
            {
                stages[i].Samples.Add(values[i]);
            }
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"| stage ({stages[0].Samples.Count:N0} checkouts) | p50 ms | p99 ms |");
        text.AppendLine("|---|---:|---:|");
        foreach (var (name, samples) in stages)
        {
            samples.Sort();
            text.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {Percentile(samples, 0.50):0.0} | {Percentile(samples, 0.99):0.0} |");
        }

        return text.ToString().TrimEnd();
    }

    private static double Ms(DateTime from, DateTime to) => (to - from).TotalMilliseconds;

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static async Task<List<OutboxRow>> OutboxAsync(CheckoutApp system, string service, DateTime from, DateTime to)
    {
        await using var connection = new NpgsqlConnection(await system.ConnectionStringAsync(service + "db"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT message_id, message_key, created_at, sent_at FROM messaging.outbox WHERE created_at BETWEEN @from AND @to AND sent_at IS NOT NULL ORDER BY sequence",
            connection);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        var rows = new List<OutboxRow>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new OutboxRow(reader.GetGuid(0), reader.GetString(1), reader.GetDateTime(2), reader.GetDateTime(3)));
        }

        return rows;
    }

    private static async Task<Dictionary<Guid, DateTime>> InboxAsync(CheckoutApp system, string service, DateTime from)
    {
        await using var connection = new NpgsqlConnection(await system.ConnectionStringAsync(service + "db"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT message_id, handled_at FROM messaging.inbox WHERE handled_at >= @from", connection);
        command.Parameters.AddWithValue("from", from);
        var rows = new Dictionary<Guid, DateTime>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows[reader.GetGuid(0)] = reader.GetDateTime(1);
        }

        return rows;
    }
}
