namespace Checkout.Inventory.Domain;

public static class Reservation
{
    /// <summary>
    /// The all-or-nothing rule: an order is reserved only when every line fits the available stock, so the lines that
    /// do not fit (none = reserve them all) are the whole decision.
    /// </summary>
    public static IReadOnlyList<Shortage> Shortages(IReadOnlyList<OrderLine> lines, IReadOnlyDictionary<string, long> available)
    {
        var shortages = new List<Shortage>();
        foreach (var line in lines)
        {
            var onHand = available.GetValueOrDefault(line.Sku);
            if (onHand < line.Quantity)
                shortages.Add(new Shortage(line.Sku, line.Quantity, onHand));
        }
        return shortages;
    }
}
