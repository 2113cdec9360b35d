namespace Checkout.Orders.Domain;

/// <summary>
/// An order and the saga's rules for it. Pure: each decision returns the order's new state, the timeline entries
/// that record it and the events it raises; the caller locks the order, decides, and stores all of it in one
/// transaction. Only a Pending order moves, and only forwards; a late, duplicate or out-of-order event for an order
/// that has already settled is recorded on its timeline and changes nothing else.
/// </summary>
public sealed record Order(
    Guid OrderId,
    string CustomerId,
    OrderStatus Status,
    IReadOnlyList<OrderLine> Lines,
    long TotalMinor,
    string Currency,
    string? CancellationReason)
{
    public const string TimeoutReason = "timeout";
    public const string CustomerCancellationReason = "cancelled by customer";

    /// <summary>A new Pending order of <paramref name="lines"/>, priced in <paramref name="currency"/>; raises OrderPlaced.</summary>
    /// <exception cref="OverflowException">The order's total does not fit in a long.</exception>
    public static OrderChange Place(string customerId, IReadOnlyList<OrderLine> lines, string currency, string paymentToken)
    {
        if (lines.Count == 0)
            throw new ArgumentException("An order has at least one line.", nameof(lines));
        var total = lines.Aggregate(0L, (sum, line) => checked(sum + line.LineTotalMinor));
        // UUIDv7: ordering orders by id is ordering them by creation time (ListOrders pages by id).
        var order = new Order(Guid.CreateVersion7(), customerId, OrderStatus.Pending, lines, total, currency, CancellationReason: null);
        return new OrderChange(order,
            [new TimelineStep("placed", $"{lines.Count} line(s), {total} {currency}")],
            [new OrderPlaced(order.OrderId, customerId, lines, total, currency, paymentToken)]);
    }

    /// <summary>Moves the order on with what another service reported.</summary>
    public OrderChange Apply(SagaEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        var seen = new TimelineStep(@event.Step, @event.Detail);
        if (Status != OrderStatus.Pending)
            return new OrderChange(this, [seen with { Detail = $"{seen.Detail} (ignored: order already {Describe(Status)})" }], []);

        return @event switch
        {
            PaymentCaptured => Confirm(seen),
            StockRejected rejected => Cancel(seen, "out of stock: " + rejected.Detail),
            PaymentRejected rejected => Cancel(seen, "payment declined: " + rejected.Reason),
            // Stock reserved: Payments charges next; the order waits for the payment's outcome.
            _ => new OrderChange(this, [seen], []),
        };
    }

    /// <summary>The customer cancels: a Pending or Confirmed order is cancelled (and compensated); a Cancelled one stays as it is.</summary>
    public OrderChange CancelByCustomer(string? note) => Status == OrderStatus.Cancelled
        ? Unchanged()
        : Cancel(seen: null, CustomerCancellationReason,
            string.IsNullOrWhiteSpace(note) ? CustomerCancellationReason : $"{CustomerCancellationReason}: {note}");

    /// <summary>A Pending order whose saga did not finish within <paramref name="timeout"/> is cancelled; others are left alone.</summary>
    public OrderChange TimeOut(TimeSpan timeout) => Status == OrderStatus.Pending
        ? Cancel(seen: null, TimeoutReason, $"{TimeoutReason}: still pending after {timeout}")
        : Unchanged();

    private OrderChange Confirm(TimelineStep seen) => new(
        this with { Status = OrderStatus.Confirmed },
        [seen, new TimelineStep("confirmed", "stock reserved and payment captured")],
        [new OrderConfirmed(OrderId, CustomerId, TotalMinor, Currency)]);

    private OrderChange Cancel(TimelineStep seen, string reason) => Cancel(seen, reason, reason);

    private OrderChange Cancel(TimelineStep? seen, string reason, string detail)
    {
        TimelineStep cancelled = new("cancelled", detail);
        return new OrderChange(
            this with { Status = OrderStatus.Cancelled, CancellationReason = reason },
            seen is null ? [cancelled] : [seen, cancelled],
            [new OrderCancelled(OrderId, CustomerId, reason, WasConfirmed: Status == OrderStatus.Confirmed, Lines)]);
    }

    private OrderChange Unchanged() => new(this, [], []);

    private static string Describe(OrderStatus status) => status.ToString().ToLowerInvariant();
}
