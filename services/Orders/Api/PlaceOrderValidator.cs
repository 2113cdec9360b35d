using System.Buffers;
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

    private static readonly SearchValues<char> CustomerIdChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-");
    private static readonly SearchValues<char> SkuChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");

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
            if (line.Sku.Length is 0 or > 32 || line.Sku.AsSpan().ContainsAnyExcept(SkuChars))
                return $"lines[{i}].sku must be 1 to 32 characters of A-Z, 0-9 and '-'";
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

    /// <summary>Null when <paramref name="customerId"/> is 1 to 64 characters of [A-Za-z0-9._@-].</summary>
    public static string? ValidateCustomerId(string customerId) =>
        customerId.Length is 0 or > 64 || customerId.AsSpan().ContainsAnyExcept(CustomerIdChars)
            ? "customer_id must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', '@' and '-'"
            : null;
}
