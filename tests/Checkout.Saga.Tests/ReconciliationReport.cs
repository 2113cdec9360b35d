using Checkout.Contracts.Inventory.V1;
using Checkout.Contracts.Orders.V1;
using Checkout.Contracts.Payments.V1;

namespace Checkout.Saga.Tests;

/// <summary>One look at the whole system's books; <see cref="Holds"/> when they balance, else the problems found.</summary>
internal sealed record ReconciliationReport(IReadOnlyList<string> Problems)
{
    public bool Holds => Problems.Count == 0;

    public static async Task<ReconciliationReport> TakeAsync(SagaFixture fixture, IReadOnlyList<string> orderIds)
    {
        var problems = new List<string>();
        var stock = (await fixture.Client.GetStockAsync(new GetStockRequest(), TestContext.Current.CancellationToken)).Levels;
        foreach (var level in stock)
        {
            var added = fixture.EverAdded.GetValueOrDefault(level.Sku);
            if (level.Available + level.Reserved + level.Sold != added)
            {
                problems.Add($"{level.Sku}: available {level.Available} + reserved {level.Reserved} + sold {level.Sold} != ever added {added}");
            }

            if (level.Reserved != 0)
            {
                problems.Add($"{level.Sku}: {level.Reserved} unit(s) still reserved");
            }
        }

        long captured = 0, refunded = 0, confirmedTotals = 0;
        foreach (var orderId in orderIds)
        {
            var order = await fixture.Client.GetOrderAsync(orderId, TestContext.Current.CancellationToken);
            if (order.Status == OrderStatus.Confirmed)
            {
                confirmedTotals += order.TotalMinor;
            }
            else if (order.Status != OrderStatus.Cancelled)
            {
                problems.Add($"order {orderId} is still {order.Status}");
                continue;
            }

            var payment = await fixture.PaymentOrNullAsync(orderId);
            if (payment is { Status: PaymentStatus.Captured or PaymentStatus.Refunded })
            {
                captured += payment.AmountMinor;
                refunded += payment.RefundedMinor;
            }

            var expectedKind = order.Status == OrderStatus.Confirmed ? "order-confirmed" : "order-cancelled";
            var notifications = await fixture.NotificationsAsync(order.CustomerId, orderId);
            if (!notifications.Any(notification => notification.Kind == expectedKind))
            {
                problems.Add($"order {orderId} is {order.Status} but has no {expectedKind} notification ({notifications.Count} notification(s))");
            }
        }

        if (captured - refunded != confirmedTotals)
        {
            problems.Add($"captured {captured} - refunded {refunded} != confirmed order totals {confirmedTotals}");
        }

        return new ReconciliationReport(problems);
    }

    public override string ToString() =>
        Holds ? "the books balance" : "the books do not balance:" + Environment.NewLine + string.Join(Environment.NewLine, Problems.Take(30));
}
