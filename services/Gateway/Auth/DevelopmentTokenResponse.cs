namespace Checkout.Gateway.Auth;

/// <summary>A bearer token to put in the Authorization header.</summary>
public sealed record DevelopmentTokenResponse(string AccessToken, string TokenType, int ExpiresIn);
