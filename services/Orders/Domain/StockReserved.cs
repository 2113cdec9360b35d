namespace Checkout.Orders.Domain;

/// <summary>Inventory reserved every line of the order.</summary>
public sealed record StockReserved(IReadOnlyList<(string Sku, int Quantity)> Lines) : SagaEvent
{
    public override string Step => "inventory-reserved";
    public override string Detail => string.Join(", ", Lines.Select(line => $"{line.Sku} x{line.Quantity}"));
}
