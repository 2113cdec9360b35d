namespace Checkout.Gateway.Api;

/// <summary>The body of POST /api/admin/stock/{sku}; nullable so that a missing quantity is a validation error naming it.</summary>
public sealed record RestockBody(int? Quantity);
