namespace Checkout.Inventory.Domain;

/// <summary>One line of an order as Inventory sees it: a SKU and how many units it needs.</summary>
public sealed record OrderLine(string Sku, int Quantity);
