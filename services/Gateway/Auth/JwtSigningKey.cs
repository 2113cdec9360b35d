using System.Security.Cryptography;

namespace Checkout.Gateway.Auth;

/// <summary>
/// A configured key with the one algorithm it serves. The key's type decides the algorithm, never a token's header:
/// an RSA or EC public key is never used as an HMAC secret (the classic HS/RS confusion), and a token whose "alg"
/// differs from its key's algorithm is rejected before any signature check.
/// </summary>
public abstract class JwtSigningKey(string keyId, string algorithm)
{
    public const string Hs256 = "HS256";
    public const string Rs256 = "RS256";
    public const string Es256 = "ES256";

    public string KeyId { get; } = keyId;

    public string Algorithm { get; } = algorithm;

    public abstract bool Verify(ReadOnlySpan<byte> signedPart, ReadOnlySpan<byte> signature);

    /// <summary>Builds the key from configuration; throws with the key's id and what is wrong.</summary>
    public static JwtSigningKey Create(JwtSigningKeyOptions options)
    {
        var where = $"Authentication:Jwt:SigningKeys '{options.KeyId}'";
        return options.Algorithm switch
        {
            Hs256 => new HmacKey(options.KeyId, DecodeSecret(options.Secret, where)),
            Rs256 => RsaKey.FromPem(options.KeyId, Required(options.PublicKeyPem, where, "PublicKeyPem"), where),
            Es256 => EcdsaKey.FromPem(options.KeyId, Required(options.PublicKeyPem, where, "PublicKeyPem"), where),
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

    /// <summary>HS256; also signs, for the development token endpoint.</summary>
    public sealed class HmacKey(string keyId, byte[] secret) : JwtSigningKey(keyId, Hs256)
    {
        public override bool Verify(ReadOnlySpan<byte> signedPart, ReadOnlySpan<byte> signature)
        {
            Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
            HMACSHA256.HashData(secret, signedPart, expected);
            return CryptographicOperations.FixedTimeEquals(expected, signature);
        }

        public byte[] Sign(ReadOnlySpan<byte> signedPart) => HMACSHA256.HashData(secret, signedPart);
    }

    private sealed class RsaKey(string keyId, RSA rsa) : JwtSigningKey(keyId, Rs256)
    {
        public static RsaKey FromPem(string keyId, string pem, string where)
        {
            var rsa = RSA.Create();
            try
            {
                rsa.ImportFromPem(pem);
            }
            catch (ArgumentException)
            {
                rsa.Dispose();
                throw new InvalidOperationException($"{where}: PublicKeyPem is not an RSA public key in PEM.");
            }

            return rsa.KeySize >= 2048 ? new RsaKey(keyId, rsa) : throw new InvalidOperationException($"{where}: the RSA key must have at least 2048 bits.");
        }

        public override bool Verify(ReadOnlySpan<byte> signedPart, ReadOnlySpan<byte> signature) =>
            rsa.VerifyData(signedPart, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    private sealed class EcdsaKey(string keyId, ECDsa ecdsa) : JwtSigningKey(keyId, Es256)
    {
        public static EcdsaKey FromPem(string keyId, string pem, string where)
        {
            var ecdsa = ECDsa.Create();
            try
            {
                ecdsa.ImportFromPem(pem);
            }
            catch (ArgumentException)
            {
                ecdsa.Dispose();
                throw new InvalidOperationException($"{where}: PublicKeyPem is not an EC public key in PEM.");
            }

            return ecdsa.KeySize == 256 ? new EcdsaKey(keyId, ecdsa) : throw new InvalidOperationException($"{where}: ES256 needs a P-256 key.");
        }

        // JWS carries ECDSA signatures as r || s (RFC 7518 3.4), not DER.
        public override bool Verify(ReadOnlySpan<byte> signedPart, ReadOnlySpan<byte> signature) =>
            ecdsa.VerifyData(signedPart, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }
}
