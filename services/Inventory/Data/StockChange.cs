using Checkout.Inventory.Domain;

namespace Checkout.Inventory.Data;

/// <summary>A locked stock row and the units the batch moves between its buckets.</summary>
internal sealed class StockChange(string sku, long available)
{
    public string Sku { get; } = sku;
    public long Available => available + AvailableDelta;
    public long AvailableDelta { get; private set; }
    public long ReservedDelta { get; private set; }
    public long SoldDelta { get; private set; }
    public bool IsChanged => AvailableDelta != 0 || ReservedDelta != 0 || SoldDelta != 0;

    public void Move(StockBucket source, StockBucket target, int quantity)
    {
        Add(source, -quantity);
        Add(target, quantity);
    }

    private void Add(StockBucket bucket, long quantity)
    {
        switch (bucket)
        {
            case StockBucket.Available:
                AvailableDelta += quantity;
                break;
            case StockBucket.Reserved:
                ReservedDelta += quantity;
                break;
            case StockBucket.Sold:
                SoldDelta += quantity;
                break;
        }
    }
}
