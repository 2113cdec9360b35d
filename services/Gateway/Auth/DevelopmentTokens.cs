using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Checkout.Gateway.Api;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Checkout.Gateway.Auth;

/// <summary>
/// POST /dev/token: mints a token for any customer so that a newcomer can try the API with curl. Mapped in the
/// Development environment only (the route does not exist elsewhere), signed with the HS256 key named by
/// Authentication:Jwt:DevelopmentTokenKeyId, which only appsettings.Development.json configures.
/// </summary>
public static class DevelopmentTokens
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    public static void MapDevelopmentTokenEndpoint(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment()) throw new InvalidOperationException("The development token endpoint exists in Development only.");
        var options = app.Services.GetRequiredService<IOptions<JwtOptions>>().Value;
        var keyId = options.DevelopmentTokenKeyId
            ?? throw new InvalidOperationException("Authentication:Jwt:DevelopmentTokenKeyId must name the HS256 key that signs development tokens.");
        var key = app.Services.GetRequiredService<JwtValidator>().FindKey(keyId) as JwtSigningKey.HmacKey
            ?? throw new InvalidOperationException($"Authentication:Jwt:DevelopmentTokenKeyId '{keyId}' must name a configured HS256 key.");

        app.MapPost("/dev/token", Results<Ok<DevelopmentTokenResponse>, ValidationProblem> (DevelopmentTokenRequest request, TimeProvider time) =>
            {
                if (RequestValidation.CustomerIdError(request.CustomerId) is { } error)
                    return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["customerId"] = [error] });
                var token = Mint(key, options, request.CustomerId!, request.Admin == true, time.GetUtcNow());
                return TypedResults.Ok(new DevelopmentTokenResponse(token, "Bearer", (int)Lifetime.TotalSeconds));
            })
            .WithName("CreateDevelopmentToken")
            .WithTags("Development")
            .WithSummary("Development only: a bearer token for the given customer (admin: true adds the admin role).")
            .AllowAnonymous()
            .RequireRateLimiting(Edge.CallerRateLimiting.PolicyName);
    }

    private static string Mint(JwtSigningKey.HmacKey key, JwtOptions options, string customerId, bool admin, DateTimeOffset now)
    {
        var header = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = key.Algorithm, ["typ"] = "JWT", ["kid"] = key.KeyId });
        var claims = new Dictionary<string, object>
        {
            ["iss"] = options.Issuer,
            ["aud"] = options.Audience,
            ["sub"] = customerId,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = (now + Lifetime).ToUnixTimeSeconds(),
        };
        if (admin) claims[JwtValidator.RoleClaim] = JwtBearerAuthenticationExtensions.AdminRole;
        var signedPart = Base64Url.EncodeToString(header) + "." + Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims));
        return signedPart + "." + Base64Url.EncodeToString(key.Sign(Encoding.ASCII.GetBytes(signedPart)));
    }
}
