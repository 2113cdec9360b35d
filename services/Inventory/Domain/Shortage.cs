namespace Checkout.Inventory.Domain;

/// <summary>A line Inventory cannot serve: what was asked and what is available (0 for a SKU it does not stock).</summary>
public sealed record Shortage(string Sku, int Requested, long Available);
