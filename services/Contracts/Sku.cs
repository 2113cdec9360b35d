using System.Buffers;

namespace Checkout.Contracts;

/// <summary>
/// What a stock-keeping unit code looks like on the wire: 1 to 32 of A-Z, 0-9 and '-'. Every service and the gateway
/// check it here, so that an edge never accepts what a service behind it refuses (Catalog's and Inventory's tables
/// say the same in their CHECK constraints).
/// </summary>
public static class Sku
{
    public const int MaxLength = 32;

    /// <summary>The rule as a client reads it, after the field's name: "lines[0].sku must be ...".</summary>
    public const string Rule = "must be 1 to 32 characters of A-Z, 0-9 and '-'";

    private static readonly SearchValues<char> Allowed = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");

    public static bool IsValid(string? sku) => sku is { Length: >= 1 and <= MaxLength } && !sku.AsSpan().ContainsAnyExcept(Allowed);
}
