using System.Buffers.Binary;
using System.Buffers.Text;

namespace Checkout.Notifications.Api;

/// <summary>
/// The opaque next_page_token of ListNotifications: the keyset position (the sequence) of a page's last
/// notification, as base64url of its 8 big-endian bytes.
/// </summary>
public static class PageToken
{
    private const int Length = sizeof(long);

    public static string Encode(long sequence)
    {
        Span<byte> bytes = stackalloc byte[Length];
        BinaryPrimitives.WriteInt64BigEndian(bytes, sequence);
        return Base64Url.EncodeToString(bytes);
    }

    public static bool TryDecode(string token, out long sequence)
    {
        sequence = 0;
        if (!Base64Url.IsValid(token, out var decodedLength) || decodedLength != Length)
            return false;
        Span<byte> bytes = stackalloc byte[Length];
        Base64Url.DecodeFromChars(token, bytes);
        sequence = BinaryPrimitives.ReadInt64BigEndian(bytes);
        return sequence > 0;
    }
}
