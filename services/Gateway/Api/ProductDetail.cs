namespace Checkout.Gateway.Api;

/// <summary>One product; available is null when "availability" is in missing.</summary>
public sealed record ProductDetail(string Sku, string Name, string Description, long UnitPriceMinor, string Currency, long? Available, IReadOnlyList<string> Missing);
