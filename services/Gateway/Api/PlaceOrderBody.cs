namespace Checkout.Gateway.Api;

/// <summary>
/// The body of POST /api/orders (camelCase on the wire, as every public JSON shape). Its members are nullable so that
/// a missing field is a validation error naming it rather than a deserialisation failure; unknown fields are
/// rejected (Program.cs).
/// </summary>
public sealed record PlaceOrderBody(IReadOnlyList<OrderLineBody>? Lines, string? PaymentToken);
