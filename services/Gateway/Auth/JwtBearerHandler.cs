using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Checkout.Gateway.Auth;

/// <summary>
/// The "Bearer" authentication scheme over <see cref="JwtValidator"/>, so that RequireAuthorization, policies and
/// roles work as with ASP.NET Core's JwtBearer: a request without a bearer token is anonymous, a bad token fails
/// (401 with WWW-Authenticate: Bearer error="invalid_token", RFC 6750), a good one gives sub and role claims.
/// </summary>
public sealed partial class JwtBearerHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory loggerFactory, UrlEncoder encoder, JwtValidator validator)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "Bearer";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? authorization = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(authorization) || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return Task.FromResult(AuthenticateResult.NoResult());

        var result = validator.Validate(authorization["Bearer ".Length..].Trim());
        if (!result.IsValid)
        {
            LogRejected(Logger, result.Error!);
            return Task.FromResult(AuthenticateResult.Fail(result.Error!));
        }

        var identity = new ClaimsIdentity(result.Claims, SchemeName, JwtValidator.SubjectClaim, JwtValidator.RoleClaim);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure;
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.Append(HeaderNames.WWWAuthenticate, failure is null
            ? "Bearer"
            : $"Bearer error=\"invalid_token\", error_description=\"{HeaderSafe(failure.Message)}\"");
    }

    // The reason may quote the token (its alg, its kid): only the characters RFC 6750 allows in error_description
    // (printable ASCII but the double quote and the backslash) go into the header; anything else would break it or make Kestrel refuse it.
    private static string HeaderSafe(string reason) =>
        string.Create(reason.Length, reason, (chars, text) =>
        {
            for (var i = 0; i < text.Length; i++)
                chars[i] = text[i] is >= ' ' and <= '~' and not '"' and not '\\' ? text[i] : '?';
        });

    [LoggerMessage(LogLevel.Information, "Bearer token rejected: {Reason}")]
    private static partial void LogRejected(ILogger logger, string reason);
}
