using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Checkout.Gateway.Auth;

/// <summary>
/// ASP.NET Core's JwtBearer scheme ("Bearer") over the keys of "Authentication:Jwt": a request without a bearer token
/// is anonymous, a bad token fails (401 with WWW-Authenticate: Bearer error="invalid_token", see
/// <see cref="BearerTokenEvents"/>), a good one gives the token's claims as they are named in it ("sub", "role").
/// </summary>
public static class JwtBearerAuthentication
{
    public const string AdminPolicy = "admin";
    public const string AdminRole = "admin";
    public const string SubjectClaim = JwtRegisteredClaimNames.Sub;
    public const string RoleClaim = "role";

    /// <summary>Bounds the work an anonymous caller can ask of us (the library's default is 250 KB).</summary>
    public const int MaxTokenBytes = 8 * 1024;

    /// <summary>The Bearer scheme with keys from "Authentication:Jwt" (read and checked at start-up) and the "admin" policy.</summary>
    public static IHostApplicationBuilder AddJwtBearerAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<JwtOptions>()
            .Bind(builder.Configuration.GetSection(JwtOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<ConfiguredSigningKeys>();
        builder.Services.AddSingleton<BearerTokenEvents>();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        // ValidateOnStart builds the scheme's options, and so reads the keys, when the host starts: a misconfigured
        // key stops the start with its id and what is wrong, instead of failing the first request.
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<JwtOptions>, ConfiguredSigningKeys>((bearer, jwt, keys) => Configure(bearer, jwt.Value, keys))
            .ValidateOnStart();
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(AdminPolicy, policy => policy.RequireAuthenticatedUser().RequireRole(AdminRole));
        return builder;
    }

    /// <summary>The caller's customer id: the token's subject.</summary>
    public static string CustomerId(this ClaimsPrincipal user) =>
        user.FindFirstValue(SubjectClaim) ?? throw new InvalidOperationException("The endpoint needs an authenticated caller.");

    private static void Configure(JwtBearerOptions bearer, JwtOptions jwt, ConfiguredSigningKeys keys)
    {
        // Claims keep the names the token gives them ("sub", "role"), not the WS-* URIs of the inbound claim map.
        bearer.MapInboundClaims = false;
        bearer.EventsType = typeof(BearerTokenEvents);
        foreach (var handler in bearer.TokenHandlers.OfType<TokenHandler>())
            handler.MaximumTokenSizeInBytes = MaxTokenBytes;

        bearer.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = jwt.Issuer,
            ValidAudience = jwt.Audience,
            ClockSkew = jwt.ClockSkew,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            // alg "none" (an unsigned token) is refused whatever its header names.
            RequireSignedTokens = true,
            ValidAlgorithms = keys.Algorithms,
            // Each key only for the one algorithm it was configured with, and only the key the token's kid names.
            IssuerSigningKeyResolver = (_, token, keyId, _) => keys.Resolve(keyId, (token as JsonWebToken)?.Alg),
            // The library's default would try every key when the resolver finds none: an unknown kid must fail instead.
            TryAllIssuerSigningKeys = false,
            NameClaimType = SubjectClaim,
            RoleClaimType = RoleClaim,
        };
    }
}
