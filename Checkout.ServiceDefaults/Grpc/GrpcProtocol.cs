// Wire details of gRPC over HTTP/2 (grpc/grpc doc/PROTOCOL-HTTP2.md) shared by our server and client.
using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Checkout.ServiceDefaults.Grpc;

internal static class GrpcProtocol
{
    public const string ContentType = "application/grpc";
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";
    public const string IdentityEncoding = "identity";
    public const int HeaderSize = 5;
    public const int DefaultMaxReceiveMessageSize = 4 * 1024 * 1024;

    /// <summary>"application/grpc", "application/grpc+proto", optionally with parameters; other subtypes are not served.</summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (contentType is null || !contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase)) return false;
        var rest = contentType.AsSpan(ContentType.Length);
        if (rest.IsEmpty || rest[0] == ';') return true;
        if (!rest.StartsWith("+proto", StringComparison.OrdinalIgnoreCase)) return false;
        rest = rest[6..];
        return rest.IsEmpty || rest[0] == ';';
    }

    public static void WriteFrameHeader(Span<byte> destination, int messageLength)
    {
        destination[0] = 0; // uncompressed
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)messageLength);
    }

    /// <summary>
    /// The longest deadline a call gets: grpc-timeout can say up to 99,999,999 hours, but a timer runs at most
    /// about 49 days and a deadline must stay a DateTime. Longer timeouts are cut to this.
    /// </summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(30);

    /// <summary>grpc-timeout: 1 to 8 ASCII digits then a unit (H M S m u n); at most <see cref="MaxTimeout"/>.</summary>
    public static bool TryParseTimeout(string? value, out TimeSpan timeout)
    {
        timeout = default;
        if (value is null || value.Length < 2 || value.Length > 9) return false;
        if (!long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount)) return false;
        long ticks;
        switch (value[^1])
        {
            case 'H': ticks = amount * TimeSpan.TicksPerHour; break;
            case 'M': ticks = amount * TimeSpan.TicksPerMinute; break;
            case 'S': ticks = amount * TimeSpan.TicksPerSecond; break;
            case 'm': ticks = amount * TimeSpan.TicksPerMillisecond; break;
            case 'u': ticks = amount * 10; break;
            case 'n': ticks = amount / 100; break;
            default: return false;
        }
        timeout = ticks > MaxTimeout.Ticks ? MaxTimeout : TimeSpan.FromTicks(ticks);
        return true;
    }

    /// <summary>The shortest grpc-timeout that is not shorter than <paramref name="timeout"/> (8 digits at most).</summary>
    public static string FormatTimeout(TimeSpan timeout)
    {
        var ticks = Math.Max(1, timeout.Ticks);
        var micros = (ticks + 9) / 10;
        if (micros < 100_000_000) return micros.ToString(CultureInfo.InvariantCulture) + "u";
        var millis = (ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
        if (millis < 100_000_000) return millis.ToString(CultureInfo.InvariantCulture) + "m";
        var seconds = (ticks + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond;
        return Math.Min(seconds, 99_999_999).ToString(CultureInfo.InvariantCulture) + "S";
    }

    /// <summary>grpc-message: UTF-8, with bytes outside printable ASCII and '%' percent-encoded.</summary>
    public static string PercentEncode(string message)
    {
        var needsEncoding = false;
        foreach (var c in message)
        {
            if (c < 0x20 || c > 0x7E || c == '%') { needsEncoding = true; break; }
        }
        if (!needsEncoding) return message;
        var bytes = Encoding.UTF8.GetBytes(message);
        var builder = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (b < 0x20 || b > 0x7E || b == '%') builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            else builder.Append((char)b);
        }
        return builder.ToString();
    }

    /// <summary>Decodes grpc-message leniently: a malformed escape is kept as it is, as the spec asks.</summary>
    public static string PercentDecode(string value)
    {
        if (!value.Contains('%')) return value;
        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && i + 2 < value.Length
                && byte.TryParse(value.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else
            {
                bytes.Add((byte)value[i]);
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>Binary metadata is base64; peers may send it with or without padding.</summary>
    public static byte[] DecodeBinaryHeader(string value)
    {
        var padding = (4 - value.Length % 4) % 4;
        return Convert.FromBase64String(padding == 0 ? value : value + new string('=', padding));
    }

    /// <summary>The spec asks to emit un-padded base64.</summary>
    public static string EncodeBinaryHeader(byte[] value) => Convert.ToBase64String(value).TrimEnd('=');

    /// <summary>Headers that carry protocol, not application metadata.</summary>
    public static bool IsReservedHeader(string name) =>
        name.Length == 0 || name[0] == ':' || name.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase)
        || name.Equals("content-type", StringComparison.OrdinalIgnoreCase) || name.Equals("te", StringComparison.OrdinalIgnoreCase)
        || name.Equals("content-length", StringComparison.OrdinalIgnoreCase) || name.Equals("host", StringComparison.OrdinalIgnoreCase)
        || name.Equals("traceparent", StringComparison.OrdinalIgnoreCase) || name.Equals("tracestate", StringComparison.OrdinalIgnoreCase);

    /// <summary>Adds one header to metadata; a header that is not valid metadata (bad base64, non-ASCII) is dropped rather than failing the call.</summary>
    public static void AddHeader(Metadata metadata, string name, string value)
    {
        if (IsReservedHeader(name)) return;
        try
        {
            if (Metadata.Entry.IsBinaryKey(name)) metadata.Add(name, DecodeBinaryHeader(value));
            else metadata.Add(name, value);
        }
        catch (FormatException) { }
        catch (ArgumentException) { }
    }

    public static string EncodeValue(Metadata.Entry entry) => entry.IsBinary ? EncodeBinaryHeader(entry.ValueBytes) : entry.Value;

    [DoesNotReturn]
    public static void ThrowMessageTooLarge(long length, int max, string direction) =>
        throw new RpcException(new Status(StatusCode.ResourceExhausted, $"{direction} message exceeds the maximum configured message size ({length} > {max} bytes)."));
}
