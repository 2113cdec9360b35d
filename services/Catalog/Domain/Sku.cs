using System.Text.RegularExpressions;

namespace Checkout.Catalog.Domain;

/// <summary>What a stock-keeping unit code looks like: 1 to 32 of A-Z, 0-9 and '-'.</summary>
public static partial class Sku
{
    public const int MaxLength = 32;

    public static bool IsValid(string sku) => Pattern().IsMatch(sku);

    [GeneratedRegex("^[A-Z0-9-]{1,32}$")]
    private static partial Regex Pattern();
}
