using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text;

namespace Checkout.ServiceDefaults.Grpc;

/// <summary>
/// The opaque next_page_token of a list call (AIP-158): the keyset position of the page's last item, base64url, so
/// that clients treat it as a token rather than a key to edit. A service checks the decoded position as it would
/// any input (a SKU's rule, a positive sequence): a token it did not issue is INVALID_ARGUMENT.
/// </summary>
public static class PageToken
{
    public static string Encode(string lastKey)
    {
        ArgumentNullException.ThrowIfNull(lastKey);
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(lastKey));
    }

    public static string Encode(long lastKey)
    {
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        BinaryPrimitives.WriteInt64BigEndian(bytes, lastKey);
        return Base64Url.EncodeToString(bytes);
    }

    public static string Encode(Guid lastKey)
    {
        Span<byte> bytes = stackalloc byte[16];
        lastKey.TryWriteBytes(bytes, bigEndian: true, out _);
        return Base64Url.EncodeToString(bytes);
    }

    public static bool TryDecode(string token, out string lastKey)
    {
        lastKey = "";
        if (!Base64Url.IsValid(token))
            return false;
        try
        {
            lastKey = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(Base64Url.DecodeFromChars(token));
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    public static bool TryDecode(string token, out long lastKey)
    {
        lastKey = 0;
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        if (!TryDecodeExactly(token, bytes))
            return false;
        lastKey = BinaryPrimitives.ReadInt64BigEndian(bytes);
        return true;
    }

    public static bool TryDecode(string token, out Guid lastKey)
    {
        lastKey = Guid.Empty;
        Span<byte> bytes = stackalloc byte[16];
        if (!TryDecodeExactly(token, bytes))
            return false;
        lastKey = new Guid(bytes, bigEndian: true);
        return true;
    }

    private static bool TryDecodeExactly(string token, Span<byte> bytes) =>
        Base64Url.IsValid(token, out var length) && length == bytes.Length
        && Base64Url.TryDecodeFromChars(token, bytes, out var written) && written == bytes.Length;
}
