namespace Checkout.Gateway.Api;

/// <summary>A catalogue page; available is null for every product when "availability" is in missing.</summary>
public sealed record ProductPage(IReadOnlyList<ProductSummary> Products, string? NextPageToken, IReadOnlyList<string> Missing);
