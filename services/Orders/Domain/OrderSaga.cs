namespace Checkout.Orders.Domain;

/// <summary>What the saga learned about an order from another service.</summary>
public abstract record SagaEvent
{
    /// <summary>The timeline step this event records, for example "inventory-reserved".</summary>
    public abstract string Step { get; }

    /// <summary>What the timeline says about it.</summary>
    public abstract string Detail { get; }
}

public sealed record StockReserved(IReadOnlyList<(string Sku, int Quantity)> Lines) : SagaEvent
{
    public override string Step => "inventory-reserved";
    public override string Detail => string.Join(", ", Lines.Select(line => $"{line.Sku} x{line.Quantity}"));
}

public sealed record StockRejected(IReadOnlyList<(string Sku, int Requested, long Available)> Shortages) : SagaEvent
{
    public override string Step => "inventory-rejected";
    public override string Detail => string.Join(", ", Shortages.Select(s => $"{s.Sku} (requested {s.Requested}, available {s.Available})"));
}

public sealed record PaymentCaptured(long AmountMinor, string Currency, string ProviderReference) : SagaEvent
{
    public override string Step => "payment-succeeded";
    public override string Detail => $"{AmountMinor} {Currency} captured ({ProviderReference})";
}

public sealed record PaymentRejected(string Reason) : SagaEvent
{
    public override string Step => "payment-failed";
    public override string Detail => Reason;
}

/// <summary>What an order does next: its new status and the timeline entries to record.</summary>
/// <param name="Status">The status after the step (unchanged when nothing moved).</param>
/// <param name="Timeline">Entries to append, oldest first.</param>
/// <param name="CancellationReason">Set when this step cancelled the order.</param>
/// <param name="WasConfirmed">When cancelled by this step: whether the order had been confirmed (stock sold, payment captured).</param>
public sealed record SagaStep(OrderStatus Status, IReadOnlyList<TimelineStep> Timeline, string? CancellationReason = null, bool WasConfirmed = false)
{
    public bool Confirmed(OrderStatus before) => before != OrderStatus.Confirmed && Status == OrderStatus.Confirmed;
    public bool Cancelled(OrderStatus before) => before != OrderStatus.Cancelled && Status == OrderStatus.Cancelled;
}

public sealed record TimelineStep(string Step, string Detail);

/// <summary>
/// The order's state machine. Pure: the caller loads the order (locked), applies the step and stores it.
/// Only a Pending order moves, and only forwards; a late, duplicate or out-of-order event for an order that has
/// already settled is recorded on its timeline and changes nothing else.
/// </summary>
public static class OrderSaga
{
    public const string TimeoutReason = "timeout";
    public const string CustomerCancellationReason = "cancelled by customer";

    public static SagaStep Apply(OrderStatus current, SagaEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        var seen = new TimelineStep(@event.Step, @event.Detail);
        if (current != OrderStatus.Pending)
            return new SagaStep(current, [seen with { Detail = $"{seen.Detail} (ignored: order already {Describe(current)})" }]);

        return @event switch
        {
            PaymentCaptured => new SagaStep(OrderStatus.Confirmed, [seen, new TimelineStep("confirmed", "stock reserved and payment captured")]),
            StockRejected rejected => Cancel(seen, "out of stock: " + rejected.Detail),
            PaymentRejected rejected => Cancel(seen, "payment declined: " + rejected.Reason),
            // Stock reserved: Payments charges next; the order waits for the payment's outcome.
            _ => new SagaStep(OrderStatus.Pending, [seen]),
        };
    }

    /// <summary>The customer cancels: Pending or Confirmed orders are cancelled (and compensated); a Cancelled one stays as it is.</summary>
    public static SagaStep CancelByCustomer(OrderStatus current, string? note) => current switch
    {
        OrderStatus.Cancelled => new SagaStep(current, []),
        _ => new SagaStep(OrderStatus.Cancelled,
            [new TimelineStep("cancelled", string.IsNullOrWhiteSpace(note) ? CustomerCancellationReason : $"{CustomerCancellationReason}: {note}")],
            CustomerCancellationReason, WasConfirmed: current == OrderStatus.Confirmed),
    };

    /// <summary>A Pending order whose saga did not finish in time is cancelled; others are left alone.</summary>
    public static SagaStep TimeOut(OrderStatus current, TimeSpan timeout) => current == OrderStatus.Pending
        ? new SagaStep(OrderStatus.Cancelled, [new TimelineStep("cancelled", $"{TimeoutReason}: still pending after {timeout}")], TimeoutReason)
        : new SagaStep(current, []);

    private static SagaStep Cancel(TimelineStep seen, string reason) =>
        new(OrderStatus.Cancelled, [seen, new TimelineStep("cancelled", reason)], reason);

    private static string Describe(OrderStatus status) => status.ToString().ToLowerInvariant();
}
