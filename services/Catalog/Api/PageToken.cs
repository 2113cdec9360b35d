using System.Buffers.Text;
using System.Text;
using Checkout.Contracts;

namespace Checkout.Catalog.Api;

/// <summary>
/// The opaque next_page_token of ListProducts: the last SKU of the page, base64url-encoded so that clients treat it
/// as a token rather than a SKU to edit. Anything that does not decode to a valid SKU is rejected.
/// </summary>
public static class PageToken
{
    public static string Encode(string lastSku) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(lastSku));

    public static bool TryDecode(string token, out string lastSku)
    {
        lastSku = "";
        if (!Base64Url.IsValid(token))
            return false;
        var decoded = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
        if (!Sku.IsValid(decoded))
            return false;
        lastSku = decoded;
        return true;
    }
}
