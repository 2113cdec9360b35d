using Checkout.Contracts;

namespace Checkout.Gateway.Api;

/// <summary>
/// Validation at the edge, with the JSON field names a client sent (camelCase) and every error at once. The limits
/// are the services' (Orders and Inventory stay the authority and check again); checking here answers a client
/// without a round trip and names its fields.
/// </summary>
public static class RequestValidation
{
    public const int MaxLines = 50;
    public const int MaxQuantity = 1000;
    public const int MaxRestockQuantity = 1_000_000;
    public const int MaxPageSize = 100;
    public const int MaxPageTokenLength = 512;
    public const int MaxTokenLength = 128;

    public static string? CustomerIdError(string? customerId) => CustomerId.IsValid(customerId) ? null : CustomerId.Rule;

    public static string? SkuError(string? sku) => Sku.IsValid(sku) ? null : Sku.Rule;

    public static Dictionary<string, string[]> PlaceOrder(PlaceOrderBody body, string? idempotencyKey)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (TokenError(idempotencyKey) is { } keyError)
            errors["Idempotency-Key"] = [$"header {keyError}"];
        if (TokenError(body.PaymentToken) is { } tokenError)
            errors["paymentToken"] = [tokenError];
        if (body.Lines is not { Count: > 0 and <= MaxLines } lines)
        {
            errors["lines"] = [$"must hold 1 to {MaxLines} lines"];
            return errors;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i] is not { } line)
            {
                errors[$"lines[{i}]"] = ["must be an object with sku and quantity"];
                continue;
            }

            if (SkuError(line.Sku) is { } skuError)
                errors[$"lines[{i}].sku"] = [skuError];
            else if (!seen.Add(line.Sku!))
                errors[$"lines[{i}].sku"] = [$"repeats {line.Sku}: put the whole quantity on one line"];
            if (line.Quantity is not (>= 1 and <= MaxQuantity))
                errors[$"lines[{i}].quantity"] = [$"must be between 1 and {MaxQuantity}"];
        }

        return errors;
    }

    public static Dictionary<string, string[]> Page(int? pageSize, string? pageToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (pageSize is not null and not (>= 1 and <= MaxPageSize))
            errors["pageSize"] = [$"must be between 1 and {MaxPageSize}"];
        if (pageToken is { Length: > MaxPageTokenLength })
            errors["pageToken"] = ["is not a token this API returned"];
        return errors;
    }

    // The hyphenated form only ("D"), as the services accept it: another spelling of the same UUID would pass here and
    // come back from Orders as its own error about a field this API's client never named.
    public static Dictionary<string, string[]> OrderId(string id) =>
        Guid.TryParseExact(id, "D", out _)
            ? []
            : new Dictionary<string, string[]> { ["id"] = ["must be an order id (a UUID such as 0190a5c2-7f3e-7d4a-9c1b-2f5e8a6b4c3d)"] };

    private static string? TokenError(string? value) =>
        value is { Length: >= 1 and <= MaxTokenLength } ? null : $"is required: 1 to {MaxTokenLength} characters";
}
