using Checkout.Inventory.Domain;

namespace Checkout.Inventory.Data;

/// <summary>
/// What one transaction of order events changes, kept in memory between <see cref="StockRepository.LoadBatchAsync"/>
/// (which reads every stock row and reservation the batch touches) and <see cref="StockRepository.AddBatchWrites"/>
/// (whose statements go to the database with the outbox's insert and the commit, in one round trip). The events are
/// decided one after another against this state, so a later order in the batch sees the stock an earlier one took;
/// the hot stock rows are locked for that one round trip per batch rather than a few per event, which is what lets
/// partitions that share hot SKUs keep up.
/// </summary>
public sealed class StockBatch
{
    private readonly Dictionary<string, StockChange> _stock;
    private readonly Dictionary<Guid, ReservationState> _reservations;

    internal StockBatch(Dictionary<string, StockChange> stock, Dictionary<Guid, ReservationState> reservations)
    {
        _stock = stock;
        _reservations = reservations;
    }

    internal IEnumerable<StockChange> ChangedStock => _stock.Values.Where(change => change.IsChanged);
    internal IEnumerable<ReservationState> NewReservations => _reservations.Values.Where(reservation => reservation.IsNew);
    internal IEnumerable<ReservationState> MovedReservations => _reservations.Values.Where(reservation => !reservation.IsNew && reservation.IsMoved);

    /// <summary>The order's reservation status as of the events decided so far; null when Inventory has not seen the order.</summary>
    public ReservationStatus? StatusOf(Guid orderId) => _reservations.TryGetValue(orderId, out var reservation) ? reservation.Status : null;

    /// <summary>Available units of <paramref name="skus"/> (SKUs Inventory does not stock are absent).</summary>
    public IReadOnlyDictionary<string, long> Available(IEnumerable<string> skus)
    {
        var available = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var sku in skus)
            if (_stock.TryGetValue(sku, out var change))
                available[sku] = change.Available;
        return available;
    }

    /// <summary>Moves every line from available to reserved and records the reservation; the caller checked it fits.</summary>
    public void Reserve(Guid orderId, IReadOnlyList<OrderLine> lines)
    {
        foreach (var line in lines)
            _stock[line.Sku].Move(StockBucket.Available, StockBucket.Reserved, line.Quantity);
        _reservations.Add(orderId, ReservationState.Created(orderId, ReservationStatus.Reserved, lines));
    }

    /// <summary>Records an order that holds nothing (rejected, or cancelled before it was seen placed).</summary>
    public void RecordWithoutStock(Guid orderId, ReservationStatus status) =>
        _reservations.Add(orderId, ReservationState.Created(orderId, status, []));

    /// <summary>Applies <paramref name="move"/> to the order's reservation (in <see cref="StockMove.From"/>) and all its units.</summary>
    public void Move(Guid orderId, StockMove move)
    {
        var reservation = _reservations[orderId];
        if (reservation.Status != move.From)
            throw new InvalidOperationException($"Reservation {orderId} is {reservation.Status}, not {move.From}.");
        foreach (var line in reservation.Lines)
            _stock[line.Sku].Move(move.Source, move.Target, line.Quantity);
        reservation.MoveTo(move.To);
    }
}
