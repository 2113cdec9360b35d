using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Checkout.Gateway.Tests;

/// <summary>
/// An identity provider for the tests: the keys the gateway is configured to trust (HS256, RS256, ES256) and a
/// minting function that can also produce every kind of bad token the auth table needs. It writes the JWS by hand
/// (RFC 7515/7519 with System.Security.Cryptography), not with the library the gateway validates with: a token the
/// library would refuse to mint (alg none naming a key, an alg with a quote, HMAC keyed with a PEM) is still made
/// here, and a fault shared by minting and validating could not hide itself.
/// </summary>
public sealed class TestTokens : IDisposable
{
    public const string Issuer = "https://identity.test.example";
    public const string Audience = "checkout-api";
    public const string HsKeyId = "test-hs256";
    public const string RsKeyId = "test-rs256";
    public const string EsKeyId = "test-es256";

    public byte[] HmacSecret { get; } = RandomNumberGenerator.GetBytes(32);

    public RSA Rsa { get; } = RSA.Create(2048);

    public ECDsa Ecdsa { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>The gateway's Authentication:Jwt settings trusting these keys, as environment variables.</summary>
    public IEnumerable<KeyValuePair<string, string>> GatewayEnvironment() =>
    [
        new("Authentication__Jwt__Issuer", Issuer),
        new("Authentication__Jwt__Audience", Audience),
        // Index 0 is the development key from appsettings.Development.json (when it applies); these follow it.
        new("Authentication__Jwt__SigningKeys__1__KeyId", HsKeyId),
        new("Authentication__Jwt__SigningKeys__1__Algorithm", "HS256"),
        new("Authentication__Jwt__SigningKeys__1__Secret", Convert.ToBase64String(HmacSecret)),
        new("Authentication__Jwt__SigningKeys__2__KeyId", RsKeyId),
        new("Authentication__Jwt__SigningKeys__2__Algorithm", "RS256"),
        new("Authentication__Jwt__SigningKeys__2__PublicKeyPem", Rsa.ExportSubjectPublicKeyInfoPem()),
        new("Authentication__Jwt__SigningKeys__3__KeyId", EsKeyId),
        new("Authentication__Jwt__SigningKeys__3__Algorithm", "ES256"),
        new("Authentication__Jwt__SigningKeys__3__PublicKeyPem", Ecdsa.ExportSubjectPublicKeyInfoPem()),
    ];

    /// <summary>
    /// A valid token for <paramref name="customer"/> unless the arguments say otherwise: valid from ten minutes before
    /// its expiry unless <paramref name="notBeforeIn"/> says when; <paramref name="editHeader"/> and
    /// <paramref name="editClaims"/> change the JSON before it is signed.
    /// </summary>
    public string Mint(
        string customer, string algorithm = "RS256", string? keyId = RsKeyId, string issuer = Issuer, string audience = Audience,
        TimeSpan? expiresIn = null, TimeSpan? notBeforeIn = null, string? role = null, Func<byte[], byte[]>? sign = null,
        Action<Dictionary<string, object>>? editHeader = null, Action<Dictionary<string, object>>? editClaims = null)
    {
        var header = new Dictionary<string, object> { ["alg"] = algorithm, ["typ"] = "JWT" };
        if (keyId is not null)
            header["kid"] = keyId;
        var now = DateTimeOffset.UtcNow;
        var expires = now + (expiresIn ?? TimeSpan.FromMinutes(10));
        var claims = new Dictionary<string, object>
        {
            ["iss"] = issuer,
            ["aud"] = audience,
            ["sub"] = customer,
            ["exp"] = expires.ToUnixTimeSeconds(),
            ["nbf"] = (notBeforeIn is { } notBefore ? now + notBefore : expires - TimeSpan.FromMinutes(10)).ToUnixTimeSeconds(),
        };
        if (role is not null)
            claims["role"] = role;
        editHeader?.Invoke(header);
        editClaims?.Invoke(claims);
        var signedPart = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(header)) + "." +
                         Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = (sign ?? SignerFor(algorithm))(Encoding.ASCII.GetBytes(signedPart));
        return signedPart + "." + Base64Url.EncodeToString(signature);
    }

    public Func<byte[], byte[]> SignerFor(string algorithm) => algorithm switch
    {
        "HS256" => data => HMACSHA256.HashData(HmacSecret, data),
        "RS256" => data => Rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        "ES256" => data => Ecdsa.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
        "none" => _ => [],
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "not an algorithm of these tests"),
    };

    public void Dispose()
    {
        Rsa.Dispose();
        Ecdsa.Dispose();
    }
}
