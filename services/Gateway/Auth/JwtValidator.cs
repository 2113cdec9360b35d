// Stands in for Microsoft.IdentityModel.JsonWebTokens' JsonWebTokenHandler.ValidateToken (its current versions need
// Microsoft.IdentityModel.* 7+/8+, which this machine's NuGet source lacks; the 6.x that restores dates from 2020
// and carries published advisories). Validates a compact JWS (RFC 7515/7519) with System.Security.Cryptography:
// HS256, RS256 and ES256, the algorithm fixed by the configured key, never by the token alone.
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Checkout.Gateway.Auth;

/// <summary>
/// Checks a bearer token: structure, header (alg must be the key's algorithm; "none" and unknown critical headers
/// refused), signature, then iss, aud, exp and nbf (with <see cref="JwtOptions.ClockSkew"/>), and a "sub".
/// </summary>
public sealed class JwtValidator
{
    public const string SubjectClaim = "sub";
    public const string RoleClaim = "role";

    /// <summary>Bounds the work an anonymous caller can ask of us.</summary>
    private const int MaxTokenLength = 8 * 1024;

    private readonly JwtOptions _options;
    private readonly IReadOnlyList<JwtSigningKey> _keys;
    private readonly TimeProvider _time;

    public JwtValidator(IOptions<JwtOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _keys = [.. _options.SigningKeys.Select(JwtSigningKey.Create)];
        var duplicate = _keys.GroupBy(key => key.KeyId, StringComparer.Ordinal).FirstOrDefault(group => group.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"Authentication:Jwt:SigningKeys: the key id '{duplicate.Key}' is used twice.");
        _time = time;
    }

    /// <summary>The configured key with id <paramref name="keyId"/>, or null.</summary>
    public JwtSigningKey? FindKey(string keyId) => _keys.FirstOrDefault(key => key.KeyId == keyId);

    public JwtValidationResult Validate(string token)
    {
        if (token.Length > MaxTokenLength) return JwtValidationResult.Fail("the token is too long");
        var parts = token.Split('.');
        if (parts.Length != 3) return JwtValidationResult.Fail("the token is not a signed JWT (three base64url parts)");
        if (!TryDecodeJson(parts[0], out var header)) return JwtValidationResult.Fail("the token header is not base64url JSON");
        using (header)
        {
            var headerError = CheckHeader(header.RootElement, out var candidates);
            if (headerError is not null) return JwtValidationResult.Fail(headerError);
            if (!TryDecodeJson(parts[1], out var payload)) return JwtValidationResult.Fail("the token payload is not base64url JSON");
            using var _ = payload;
            if (!TryDecodeBase64Url(parts[2], out var signature)) return JwtValidationResult.Fail("the signature is not base64url");
            var signedPart = Encoding.ASCII.GetBytes(token, 0, parts[0].Length + 1 + parts[1].Length);
            if (!candidates.Any(key => key.Verify(signedPart, signature))) return JwtValidationResult.Fail("the signature is invalid");
            return CheckPayload(payload.RootElement);
        }
    }

    private string? CheckHeader(JsonElement header, out IReadOnlyList<JwtSigningKey> candidates)
    {
        candidates = [];
        if (header.ValueKind != JsonValueKind.Object) return "the token header is not a JSON object";
        if (!TryGetString(header, "alg", out var algorithm)) return "the token header has no alg";
        if (algorithm.Equals("none", StringComparison.OrdinalIgnoreCase)) return "unsigned tokens (alg none) are not accepted";
        // RFC 7515 4.1.11: extensions we do not understand must make the token invalid.
        if (header.TryGetProperty("crit", out _)) return "the token header has critical extensions this API does not support";

        IEnumerable<JwtSigningKey> keys = _keys;
        if (header.TryGetProperty("kid", out var kid))
        {
            if (kid.ValueKind != JsonValueKind.String) return "the token's kid is not a string";
            var key = FindKey(kid.GetString()!);
            if (key is null) return "the token's kid names no key this API trusts";
            keys = [key];
        }

        candidates = [.. keys.Where(key => key.Algorithm == algorithm)];
        return candidates.Count == 0 ? $"no key this API trusts is used with alg {algorithm}" : null;
    }

    private JwtValidationResult CheckPayload(JsonElement payload)
    {
        if (payload.ValueKind != JsonValueKind.Object) return JwtValidationResult.Fail("the token payload is not a JSON object");
        if (!TryGetString(payload, "iss", out var issuer) || issuer != _options.Issuer) return JwtValidationResult.Fail("the token's issuer is not trusted");
        if (!HasAudience(payload, _options.Audience)) return JwtValidationResult.Fail("the token is not meant for this API (aud)");

        var now = _time.GetUtcNow();
        if (!TryGetTime(payload, "exp", out var expires)) return JwtValidationResult.Fail("the token has no expiry (exp)");
        if (now >= expires + _options.ClockSkew) return JwtValidationResult.Fail("the token has expired");
        if (payload.TryGetProperty("nbf", out _))
        {
            if (!TryGetTime(payload, "nbf", out var notBefore)) return JwtValidationResult.Fail("the token's nbf is not a number");
            if (now + _options.ClockSkew < notBefore) return JwtValidationResult.Fail("the token is not valid yet (nbf)");
        }

        if (!TryGetString(payload, SubjectClaim, out var subject) || subject.Length == 0) return JwtValidationResult.Fail("the token has no subject (sub)");
        // The subject is the customer id every call sends on: a token whose sub the services would refuse is no credential here.
        if (Api.RequestValidation.CustomerIdError(subject) is { } subjectError) return JwtValidationResult.Fail($"the token's subject (sub) {subjectError}");
        var claims = new List<Claim> { new(SubjectClaim, subject, ClaimValueTypes.String, issuer) };
        if (payload.TryGetProperty(RoleClaim, out var roles))
        {
            // A single role or an array of them, as identity providers emit either.
            IEnumerable<JsonElement> values = roles.ValueKind == JsonValueKind.Array ? roles.EnumerateArray() : [roles];
            foreach (var role in values)
            {
                if (role.ValueKind != JsonValueKind.String) return JwtValidationResult.Fail("the token's role claim holds a non-string");
                claims.Add(new Claim(RoleClaim, role.GetString()!, ClaimValueTypes.String, issuer));
            }
        }

        return new JwtValidationResult(claims, null);
    }

    private static bool HasAudience(JsonElement payload, string audience)
    {
        if (!payload.TryGetProperty("aud", out var aud)) return false;
        return aud.ValueKind switch
        {
            JsonValueKind.String => aud.GetString() == audience,
            JsonValueKind.Array => aud.EnumerateArray().Any(item => item.ValueKind == JsonValueKind.String && item.GetString() == audience),
            _ => false,
        };
    }

    private static bool TryGetString(JsonElement element, string name, out string value)
    {
        value = "";
        if (!element.TryGetProperty(name, out var property) || property.ValueKind != JsonValueKind.String) return false;
        value = property.GetString()!;
        return true;
    }

    private static bool TryGetTime(JsonElement element, string name, out DateTimeOffset time)
    {
        time = default;
        if (!element.TryGetProperty(name, out var property) || property.ValueKind != JsonValueKind.Number || !property.TryGetDouble(out var seconds)) return false;
        if (seconds < 0 || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds()) return false;
        time = DateTimeOffset.UnixEpoch.AddSeconds(seconds);
        return true;
    }

    private static bool TryDecodeJson(string part, out JsonDocument document)
    {
        document = null!;
        if (!TryDecodeBase64Url(part, out var bytes)) return false;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool TryDecodeBase64Url(string part, out byte[] bytes)
    {
        bytes = [];
        if (part.Length == 0) return false;
        try
        {
            bytes = System.Buffers.Text.Base64Url.DecodeFromChars(part);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
