namespace Checkout.Gateway.Api;

public sealed record OrderLineResponse(string Sku, string Name, int Quantity, long UnitPriceMinor, long LineTotalMinor);
