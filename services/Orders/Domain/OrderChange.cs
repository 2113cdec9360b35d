namespace Checkout.Orders.Domain;

/// <summary>What one of <see cref="Order"/>'s decisions did.</summary>
/// <param name="Order">The order after the decision (the same state when nothing moved).</param>
/// <param name="Timeline">Entries to append, oldest first; none when the decision changed nothing.</param>
/// <param name="Events">The events the decision raised, to be published with the change.</param>
public sealed record OrderChange(Order Order, IReadOnlyList<TimelineStep> Timeline, IReadOnlyList<OrderEvent> Events);
