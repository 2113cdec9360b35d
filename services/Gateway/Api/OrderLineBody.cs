namespace Checkout.Gateway.Api;

/// <summary>A line of <see cref="PlaceOrderBody"/>; nullable members for the same reason.</summary>
public sealed record OrderLineBody(string? Sku, int? Quantity);
