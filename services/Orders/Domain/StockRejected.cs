namespace Checkout.Orders.Domain;

/// <summary>Inventory could not reserve the order: the lines it lacks stock for.</summary>
public sealed record StockRejected(IReadOnlyList<(string Sku, int Requested, long Available)> Shortages) : SagaEvent
{
    public override string Step => "inventory-rejected";
    public override string Detail => string.Join(", ", Shortages.Select(s => $"{s.Sku} (requested {s.Requested}, available {s.Available})"));
}
