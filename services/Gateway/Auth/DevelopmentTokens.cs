using Checkout.Gateway.Api;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Checkout.Gateway.Auth;

/// <summary>
/// POST /dev/token: mints a token for any customer so that a newcomer can try the API with curl. Mapped in the
/// Development environment only (the route does not exist elsewhere), signed by the library's JsonWebTokenHandler with
/// the HS256 key named by Authentication:Jwt:DevelopmentTokenKeyId, which only appsettings.Development.json configures.
/// </summary>
public static class DevelopmentTokens
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    // Thread-safe for CreateToken: one for the endpoint's lifetime.
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public static void MapDevelopmentTokenEndpoint(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
            throw new InvalidOperationException("The development token endpoint exists in Development only.");
        var options = app.Services.GetRequiredService<IOptions<JwtOptions>>().Value;
        var keyId = options.DevelopmentTokenKeyId is { Length: > 0 } id
            ? id
            : throw new InvalidOperationException("Authentication:Jwt:DevelopmentTokenKeyId must name the HS256 key that signs development tokens.");
        var key = app.Services.GetRequiredService<ConfiguredSigningKeys>().Resolve(keyId, SecurityAlgorithms.HmacSha256).SingleOrDefault()
            ?? throw new InvalidOperationException($"Authentication:Jwt:DevelopmentTokenKeyId '{keyId}' must name a configured HS256 key.");
        var credentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256);

        app.MapPost("/dev/token", Results<Ok<DevelopmentTokenResponse>, ValidationProblem> (DevelopmentTokenRequest request, TimeProvider time) =>
            {
                if (RequestValidation.CustomerIdError(request.CustomerId) is { } error)
                    return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["customerId"] = [error] });
                var token = Mint(credentials, options, request.CustomerId!, request.Admin == true, time.GetUtcNow().UtcDateTime);
                return TypedResults.Ok(new DevelopmentTokenResponse(token, "Bearer", (int)Lifetime.TotalSeconds));
            })
            .WithName("CreateDevelopmentToken")
            .WithTags("Development")
            .WithSummary("Development only: a bearer token for the given customer (admin: true adds the admin role).")
            .AllowAnonymous()
            .RequireRateLimiting(Edge.CallerRateLimiting.PolicyName);
    }

    private static string Mint(SigningCredentials credentials, JwtOptions options, string customerId, bool admin, DateTime now)
    {
        var claims = new Dictionary<string, object> { [JwtBearerAuthentication.SubjectClaim] = customerId };
        if (admin)
            claims[JwtBearerAuthentication.RoleClaim] = JwtBearerAuthentication.AdminRole;
        // The handler writes alg and kid (the key's id) into the header from the credentials.
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Audience,
            Claims = claims,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            SigningCredentials = credentials,
        });
    }
}
