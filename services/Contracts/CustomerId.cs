using System.Buffers;

namespace Checkout.Contracts;

/// <summary>What a customer id looks like on the wire (and in a bearer token's subject): 1 to 64 of A-Z, a-z, 0-9, '.', '_', '@' and '-'.</summary>
public static class CustomerId
{
    public const int MaxLength = 64;

    /// <summary>The rule as a client reads it, after the field's name: "customer_id must be ...".</summary>
    public const string Rule = "must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', '@' and '-'";

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-");

    public static bool IsValid(string? customerId) =>
        customerId is { Length: >= 1 and <= MaxLength } && !customerId.AsSpan().ContainsAnyExcept(Allowed);
}
