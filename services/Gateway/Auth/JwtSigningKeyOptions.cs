using System.ComponentModel.DataAnnotations;

namespace Checkout.Gateway.Auth;

/// <summary>One signing key: HS256 with a shared secret, RS256 or ES256 with a public key.</summary>
public sealed class JwtSigningKeyOptions
{
    /// <summary>The "kid" tokens signed with this key carry.</summary>
    [Required]
    public string KeyId { get; set; } = "";

    /// <summary>HS256, RS256 or ES256: the only algorithm this key is used with, whatever a token's header says.</summary>
    [Required]
    public string Algorithm { get; set; } = "";

    /// <summary>HS256: the shared secret, base64 (at least 32 bytes).</summary>
    public string? Secret { get; set; }

    /// <summary>RS256 / ES256: the public key as PEM (SubjectPublicKeyInfo, "BEGIN PUBLIC KEY").</summary>
    public string? PublicKeyPem { get; set; }
}
