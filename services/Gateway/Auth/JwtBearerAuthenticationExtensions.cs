using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;

namespace Checkout.Gateway.Auth;

public static class JwtBearerAuthenticationExtensions
{
    public const string AdminPolicy = "admin";
    public const string AdminRole = "admin";

    /// <summary>The Bearer scheme with keys from "Authentication:Jwt" (checked at start-up) and the "admin" policy.</summary>
    public static IHostApplicationBuilder AddJwtBearerAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<JwtOptions>()
            .Bind(builder.Configuration.GetSection(JwtOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<JwtValidator>();
        builder.Services.AddAuthentication(JwtBearerHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, JwtBearerHandler>(JwtBearerHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(AdminPolicy, policy => policy.RequireAuthenticatedUser().RequireRole(AdminRole));
        return builder;
    }

    /// <summary>The caller's customer id: the token's subject.</summary>
    public static string CustomerId(this ClaimsPrincipal user) =>
        user.FindFirstValue(JwtValidator.SubjectClaim) ?? throw new InvalidOperationException("The endpoint needs an authenticated caller.");
}
