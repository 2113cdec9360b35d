namespace Checkout.Inventory.Domain;

/// <summary>What Inventory did for an order (one per order).</summary>
public enum ReservationStatus
{
    /// <summary>Every line is held in the reserved bucket.</summary>
    Reserved,
    /// <summary>Some line did not fit: nothing was held.</summary>
    Rejected,
    /// <summary>Cancelled while reserved (or before Inventory saw it placed): its units went back to available.</summary>
    Released,
    /// <summary>Confirmed: its units moved from reserved to sold.</summary>
    Sold,
    /// <summary>Cancelled after confirmation: its units went from sold back to available.</summary>
    Returned,
}
