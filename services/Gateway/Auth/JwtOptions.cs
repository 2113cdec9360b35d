using System.ComponentModel.DataAnnotations;

namespace Checkout.Gateway.Auth;

/// <summary>Configuration section "Authentication:Jwt": who may issue tokens for this API and with which keys.</summary>
public sealed class JwtOptions
{
    public const string SectionName = "Authentication:Jwt";

    /// <summary>The only accepted "iss".</summary>
    [Required]
    public string Issuer { get; set; } = "";

    /// <summary>The audience ("aud") a token must name.</summary>
    [Required]
    public string Audience { get; set; } = "";

    /// <summary>Tolerance for clock differences between the issuer and this gateway on exp and nbf.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The keys tokens may be signed with; each decides its algorithm. Several allow key rotation.</summary>
    [MinLength(1, ErrorMessage = "Authentication:Jwt:SigningKeys needs at least one key.")]
    public List<JwtSigningKeyOptions> SigningKeys { get; set; } = [];

    /// <summary>Development only: the id of the HS256 key the /dev/token endpoint signs with.</summary>
    public string? DevelopmentTokenKeyId { get; set; }
}
