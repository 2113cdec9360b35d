namespace Checkout.Gateway.Api;

public sealed record StockLevelResponse(string Sku, long Available, long Reserved, long Sold);
