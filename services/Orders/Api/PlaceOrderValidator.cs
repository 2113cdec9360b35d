using Checkout.Contracts;
using Checkout.Contracts.Orders.V1;

namespace Checkout.Orders.Api;

/// <summary>
/// The limits of PlaceOrder, checked before anything else runs. Each message names the field, so a client can
/// show it as it is: "lines[2].quantity must be between 1 and 1000".
/// </summary>
public static class PlaceOrderValidator
{
    public const int MaxLines = 50;
    public const int MaxQuantity = 1000;

    /// <summary>The first problem of the request, or null when it is valid.</summary>
    public static string? Validate(PlaceOrderRequest request)
    {
        if (ValidateCustomerId(request.CustomerId) is { } customerError)
            return customerError;
        if (request.Lines.Count is 0 or > MaxLines)
            return $"lines must hold 1 to {MaxLines} lines (got {request.Lines.Count})";
        var skus = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Lines.Count; i++)
        {
            var line = request.Lines[i];
            if (!Sku.IsValid(line.Sku))
                return $"lines[{i}].sku {Sku.Rule}";
            if (line.Quantity is < 1 or > MaxQuantity)
                return $"lines[{i}].quantity must be between 1 and {MaxQuantity}";
            if (!skus.Add(line.Sku))
                return $"lines[{i}].sku {line.Sku} appears more than once: put the whole quantity on one line";
        }
        if (request.PaymentToken.Length is 0 or > 128)
            return "payment_token is required (1 to 128 characters)";
        if (request.IdempotencyKey.Length is 0 or > 128)
            return "idempotency_key is required (1 to 128 characters)";
        return null;
    }

    /// <summary>Null when <paramref name="customerId"/> is a valid customer id (see <see cref="CustomerId"/>).</summary>
    public static string? ValidateCustomerId(string customerId) =>
        CustomerId.IsValid(customerId) ? null : $"customer_id {CustomerId.Rule}";
}
