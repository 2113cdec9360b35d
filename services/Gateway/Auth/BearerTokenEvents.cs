using Checkout.Gateway.Api;
using Checkout.Gateway.Problems;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Net.Http.Headers;

namespace Checkout.Gateway.Auth;

/// <summary>
/// What the gateway adds to JwtBearer: a token the library accepted is still refused when its subject is not a
/// customer id (every call sends it to the services as one) or its header has critical extensions (RFC 7515
/// 4.1.11); and a 401 is a problem details body with WWW-Authenticate: Bearer (no token) or
/// Bearer error="invalid_token", error_description="..." (RFC 6750 3.1) worded here, never quoting the token.
/// </summary>
public sealed partial class BearerTokenEvents(ILogger<BearerTokenEvents> logger) : JwtBearerEvents
{
    public override Task AuthenticationFailed(AuthenticationFailedContext context)
    {
        LogRejected(logger, Describe(context.Exception));
        return Task.CompletedTask;
    }

    public override Task TokenValidated(TokenValidatedContext context)
    {
        var refusal = context.SecurityToken is JsonWebToken token && token.TryGetHeaderValue<object>("crit", out _)
            ? "the token header has critical extensions this API does not support"
            : RequestValidation.CustomerIdError(context.Principal?.FindFirst(JwtBearerAuthentication.SubjectClaim)?.Value) is { } error
                ? $"the token's subject (sub) {error}"
                : null;
        if (refusal is not null)
        {
            LogRejected(logger, refusal);
            context.Fail(refusal);
        }

        return Task.CompletedTask;
    }

    public override async Task Challenge(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var reason = context.AuthenticateFailure is { } failure ? HeaderSafe(Describe(failure)) : null;
        context.Response.Headers.Append(HeaderNames.WWWAuthenticate,
            reason is null ? "Bearer" : $"Bearer error=\"invalid_token\", error_description=\"{reason}\"");
        await ProblemResponses.WriteAsync(context.HttpContext, StatusCodes.Status401Unauthorized, reason is null
            ? "This endpoint needs a bearer token (Authorization: Bearer <token>)."
            : $"The bearer token was refused: {reason}.");
    }

    // The library's messages may quote the token (its issuer, audience, kid): the reasons given out are worded here.
    private static string Describe(Exception failure) => failure switch
    {
        AggregateException aggregate => string.Join("; ", aggregate.InnerExceptions.Select(Describe).Distinct()),
        SecurityTokenMalformedException => "the token is not a well-formed JWT",
        SecurityTokenSignatureKeyNotFoundException => "no key this API trusts for the token's kid and alg verifies it",
        SecurityTokenInvalidSignatureException => "the token is unsigned or its signature is invalid",
        SecurityTokenInvalidAlgorithmException => "the token's alg is not one this API accepts",
        SecurityTokenInvalidIssuerException => "the token's issuer is not trusted",
        SecurityTokenInvalidAudienceException => "the token is not meant for this API (aud)",
        SecurityTokenNoExpirationException => "the token has no expiry (exp)",
        SecurityTokenExpiredException => "the token has expired",
        SecurityTokenNotYetValidException => "the token is not valid yet (nbf)",
        SecurityTokenInvalidLifetimeException => "the token's lifetime is invalid (nbf after exp)",
        // The library's only ArgumentException for a non-empty token: longer than MaximumTokenSizeInBytes.
        ArgumentException => "the token is longer than this API accepts",
        // Raised by TokenValidated above, with its own wording.
        AuthenticationFailureException => failure.Message,
        _ => "the token is not valid",
    };

    // Only the characters RFC 6750 allows in error_description (printable ASCII but the double quote and the
    // backslash) go into the header; anything else would break it or make Kestrel refuse it.
    private static string HeaderSafe(string reason) =>
        string.Create(reason.Length, reason, (chars, text) =>
        {
            for (var i = 0; i < text.Length; i++)
                chars[i] = text[i] is >= ' ' and <= '~' and not '"' and not '\\' ? text[i] : '?';
        });

    [LoggerMessage(LogLevel.Information, "Bearer token rejected: {Reason}")]
    private static partial void LogRejected(ILogger logger, string reason);
}
