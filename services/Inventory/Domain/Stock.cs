namespace Checkout.Inventory.Domain;

/// <summary>One line of an order as Inventory sees it: a SKU and how many units it needs.</summary>
public sealed record OrderLine(string Sku, int Quantity);

/// <summary>A line Inventory cannot serve: what was asked and what is available (0 for a SKU it does not stock).</summary>
public sealed record Shortage(string Sku, int Requested, long Available);

/// <summary>A SKU's stock: every unit ever added is available, reserved for an order in progress, or sold.</summary>
public sealed record StockLevel(string Sku, long Available, long Reserved, long Sold);

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
