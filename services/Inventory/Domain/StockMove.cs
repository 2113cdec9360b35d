namespace Checkout.Inventory.Domain;

/// <summary>
/// A transition of a reservation and of all its units between two buckets. The state machine only moves forward:
/// an event that finds the reservation in any other state (late, duplicate, out of order) moves nothing.
/// </summary>
public sealed record StockMove(ReservationStatus From, ReservationStatus To, StockBucket Source, StockBucket Target)
{
    public static readonly StockMove Release = new(ReservationStatus.Reserved, ReservationStatus.Released, StockBucket.Reserved, StockBucket.Available);
    public static readonly StockMove Sell = new(ReservationStatus.Reserved, ReservationStatus.Sold, StockBucket.Reserved, StockBucket.Sold);
    public static readonly StockMove Return = new(ReservationStatus.Sold, ReservationStatus.Returned, StockBucket.Sold, StockBucket.Available);

    /// <summary>OrderConfirmed sells a reservation; anything else stays as it is.</summary>
    public static StockMove? OnConfirmed(ReservationStatus status) => status == ReservationStatus.Reserved ? Sell : null;

    /// <summary>OrderCancelled releases a reservation or returns sold units; a rejected or finished one stays as it is.</summary>
    public static StockMove? OnCancelled(ReservationStatus status) => status switch
    {
        ReservationStatus.Reserved => Release,
        ReservationStatus.Sold => Return,
        _ => null,
    };
}
