// Why this file exists: IdentityModel validates tokens against SecurityKey objects (or keys it downloads from an
// issuer's JWKS endpoint), but it has no reader for keys written into configuration, and TokenValidationParameters
// has one list of algorithms for all keys, not one algorithm per key. This reads Authentication:Jwt:SigningKeys
// (base64 HMAC secrets, PEM public keys) into SecurityKeys once, refuses a bad key with its id and what is wrong,
// and keeps the single algorithm each key was configured with, so that the IssuerSigningKeyResolver offers a key
// only to tokens whose "alg" is that algorithm. Everything else (parsing, signatures, claims, lifetime) is the library's.
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Checkout.Gateway.Auth;

/// <summary>
/// The configured signing keys, each bound to ONE algorithm: an RSA or EC public key is never offered for HS256 (the
/// classic HS/RS confusion), an HMAC secret never for RS256, and a token naming an unknown kid gets no key at all.
/// </summary>
public sealed class ConfiguredSigningKeys
{
    private readonly IReadOnlyList<(string Algorithm, SecurityKey Key)> _keys;

    /// <summary>Reads every key of <see cref="JwtOptions.SigningKeys"/>; throws, naming the key, on the first bad one.</summary>
    public ConfiguredSigningKeys(IOptions<JwtOptions> options)
    {
        var keys = new List<(string Algorithm, SecurityKey Key)>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in options.Value.SigningKeys)
        {
            if (!ids.Add(key.KeyId))
                throw new InvalidOperationException($"Authentication:Jwt:SigningKeys: the key id '{key.KeyId}' is used twice.");
            keys.Add((key.Algorithm, Read(key)));
        }

        _keys = keys;
        Algorithms = [.. keys.Select(key => key.Algorithm).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The algorithms of the configured keys: TokenValidationParameters.ValidAlgorithms.</summary>
    public IReadOnlyList<string> Algorithms { get; }

    /// <summary>
    /// The keys that may have signed a token with this kid and alg: the key with that id if it is used with that alg,
    /// or, for a token without kid, every key used with that alg. Empty for an unknown kid or an alg no key is used with.
    /// </summary>
    public IEnumerable<SecurityKey> Resolve(string? keyId, string? algorithm) =>
        _keys.Where(key => key.Algorithm == algorithm && (string.IsNullOrEmpty(keyId) || key.Key.KeyId == keyId)).Select(key => key.Key);

    private static SecurityKey Read(JwtSigningKeyOptions options)
    {
        var where = $"Authentication:Jwt:SigningKeys '{options.KeyId}'";
        return options.Algorithm switch
        {
            SecurityAlgorithms.HmacSha256 => new SymmetricSecurityKey(DecodeSecret(options.Secret, where)) { KeyId = options.KeyId },
            SecurityAlgorithms.RsaSha256 => new RsaSecurityKey(ReadRsa(Required(options.PublicKeyPem, where, "PublicKeyPem"), where)) { KeyId = options.KeyId },
            SecurityAlgorithms.EcdsaSha256 => new ECDsaSecurityKey(ReadP256(Required(options.PublicKeyPem, where, "PublicKeyPem"), where)) { KeyId = options.KeyId },
            _ => throw new InvalidOperationException($"{where}: Algorithm must be HS256, RS256 or ES256, not '{options.Algorithm}'."),
        };
    }

    private static string Required(string? value, string where, string name) =>
        string.IsNullOrWhiteSpace(value) ? throw new InvalidOperationException($"{where}: {name} is required.") : value;

    private static byte[] DecodeSecret(string? secret, string where)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(Required(secret, where, "Secret"));
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{where}: Secret must be base64.");
        }

        // RFC 7518 3.2: an HS256 key must be at least as long as the hash output.
        return bytes.Length >= 32 ? bytes : throw new InvalidOperationException($"{where}: Secret must hold at least 32 bytes.");
    }

    private static RSA ReadRsa(string pem, string where) =>
        ReadPublicKey(RSA.Create(), pem, where, "an RSA", rsa => rsa.KeySize >= 2048, "the RSA key must have at least 2048 bits.");

    private static ECDsa ReadP256(string pem, string where) =>
        ReadPublicKey(ECDsa.Create(), pem, where, "an EC",
            ecdsa => ecdsa.ExportParameters(false).Curve.Oid?.Value == ECCurve.NamedCurves.nistP256.Oid.Value, "ES256 needs a P-256 key.");

    /// <summary>Imports <paramref name="pem"/> into <paramref name="key"/> and checks it; a key refused is disposed.</summary>
    private static TKey ReadPublicKey<TKey>(TKey key, string pem, string where, string kind, Func<TKey, bool> isStrongEnough, string requirement)
        where TKey : AsymmetricAlgorithm
    {
        try
        {
            key.ImportFromPem(pem);
        }
        catch (Exception exception) when (exception is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new InvalidOperationException($"{where}: PublicKeyPem is not {kind} public key in PEM.");
        }

        if (isStrongEnough(key))
            return key;
        key.Dispose();
        throw new InvalidOperationException($"{where}: {requirement}");
    }
}
