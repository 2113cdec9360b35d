namespace Checkout.Gateway.Api;

public sealed record ProductSummary(string Sku, string Name, string Description, long UnitPriceMinor, string Currency, long? Available);
