// Stands in for Grpc.Core.Metadata (Grpc.Core.Api is not available here); same public shape, our namespace.
using System.Collections;

namespace Checkout.ServiceDefaults.Grpc;

/// <summary>
/// Custom call metadata: request headers, response headers or trailers. Keys are lower-case ASCII; keys ending in
/// "-bin" carry binary values (base64 on the wire), all others carry printable ASCII strings.
/// </summary>
public sealed class Metadata : IEnumerable<Metadata.Entry>
{
    public const string BinaryHeaderSuffix = "-bin";

    /// <summary>An empty, read-only instance.</summary>
    public static readonly Metadata Empty = new(readOnly: true);

    private readonly List<Entry> _entries = [];
    private readonly bool _readOnly;

    public Metadata() { }

    private Metadata(bool readOnly) => _readOnly = readOnly;

    public int Count => _entries.Count;

    public Entry this[int index] => _entries[index];

    public Metadata Add(string key, string value) => Add(new Entry(key, value));

    public Metadata Add(string key, byte[] valueBytes) => Add(new Entry(key, valueBytes));

    public Metadata Add(Entry entry)
    {
        if (_readOnly) throw new InvalidOperationException("This metadata instance is read-only.");
        _entries.Add(entry);
        return this;
    }

    /// <summary>The last entry with this key, or null.</summary>
    public Entry? Get(string key)
    {
        for (var i = _entries.Count - 1; i >= 0; i--)
        {
            if (string.Equals(_entries[i].Key, key, StringComparison.OrdinalIgnoreCase)) return _entries[i];
        }
        return null;
    }

    public string? GetValue(string key) => Get(key)?.Value;

    public byte[]? GetValueBytes(string key) => Get(key)?.ValueBytes;

    public IEnumerator<Entry> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public sealed class Entry
    {
        private readonly string? _value;
        private readonly byte[]? _valueBytes;

        public Entry(string key, string value)
        {
            Key = NormalizeKey(key);
            if (IsBinaryKey(Key)) throw new ArgumentException($"Key '{Key}' ends in '{BinaryHeaderSuffix}': give a byte[] value.", nameof(key));
            ArgumentNullException.ThrowIfNull(value);
            foreach (var c in value)
            {
                if (c < 0x20 || c > 0x7E) throw new ArgumentException($"The value of '{Key}' must be printable ASCII; use a '{BinaryHeaderSuffix}' key for other data.", nameof(value));
            }
            _value = value;
        }

        public Entry(string key, byte[] valueBytes)
        {
            Key = NormalizeKey(key);
            if (!IsBinaryKey(Key)) throw new ArgumentException($"Key '{Key}' carries binary data and must end in '{BinaryHeaderSuffix}'.", nameof(key));
            _valueBytes = valueBytes ?? throw new ArgumentNullException(nameof(valueBytes));
        }

        public string Key { get; }

        public bool IsBinary => _valueBytes is not null;

        public string Value => _value ?? throw new InvalidOperationException($"'{Key}' is a binary entry: read ValueBytes.");

        public byte[] ValueBytes => _valueBytes ?? throw new InvalidOperationException($"'{Key}' is a string entry: read Value.");

        public override string ToString() => IsBinary ? $"{Key}: <{_valueBytes!.Length} bytes>" : $"{Key}: {_value}";

        internal static bool IsBinaryKey(string key) => key.EndsWith(BinaryHeaderSuffix, StringComparison.OrdinalIgnoreCase);

        private static string NormalizeKey(string key)
        {
            ArgumentException.ThrowIfNullOrEmpty(key);
            foreach (var c in key)
            {
                var valid = c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' or '_' or '.';
                if (!valid) throw new ArgumentException($"Metadata key '{key}' may contain only 0-9 a-z _ - .", nameof(key));
            }
            if (key.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"Metadata key '{key}' is reserved by the gRPC protocol.", nameof(key));
            return key.ToLowerInvariant();
        }
    }
}
