namespace Checkout.Inventory.Domain;

/// <summary>A SKU's stock: every unit ever added is available, reserved for an order in progress, or sold.</summary>
public sealed record StockLevel(string Sku, long Available, long Reserved, long Sold);
