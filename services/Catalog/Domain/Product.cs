namespace Checkout.Catalog.Domain;

/// <summary>A product on sale; its unit price is in the currency's minor unit (cents for EUR).</summary>
public sealed record Product(string Sku, string Name, string Description, long UnitPriceMinor, string Currency);
