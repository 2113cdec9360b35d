using Checkout.Inventory.Domain;

namespace Checkout.Inventory.Data;

/// <summary>An order's reservation as the batch found (and locked) or created it.</summary>
internal sealed class ReservationState(Guid orderId, ReservationStatus status, IReadOnlyList<OrderLine> lines, bool isNew)
{
    public Guid OrderId { get; } = orderId;
    public ReservationStatus Status { get; private set; } = status;
    public IReadOnlyList<OrderLine> Lines { get; } = lines;
    public bool IsNew { get; } = isNew;
    public bool IsMoved { get; private set; }

    public static ReservationState Created(Guid orderId, ReservationStatus status, IReadOnlyList<OrderLine> lines) => new(orderId, status, lines, isNew: true);

    public void MoveTo(ReservationStatus status)
    {
        Status = status;
        IsMoved = true;
    }
}
