namespace Checkout.Inventory.Domain;

/// <summary>The three buckets a SKU's units are in.</summary>
public enum StockBucket
{
    Available,
    Reserved,
    Sold,
}
