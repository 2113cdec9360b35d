namespace Checkout.Orders.Domain;

/// <summary>A line of an order, priced by Catalog when the order was placed.</summary>
public sealed record OrderLine(string Sku, string Name, int Quantity, long UnitPriceMinor)
{
    /// <exception cref="OverflowException">The line's total does not fit in a long.</exception>
    public long LineTotalMinor => checked(UnitPriceMinor * Quantity);
}
