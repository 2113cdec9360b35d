using System.Security.Claims;

namespace Checkout.Gateway.Auth;

/// <summary>The outcome of <see cref="JwtValidator.Validate"/>: the claims, or why the token was refused.</summary>
public readonly record struct JwtValidationResult(IReadOnlyList<Claim>? Claims, string? Error)
{
    public bool IsValid => Claims is not null;

    public static JwtValidationResult Fail(string error) => new(null, error);
}
