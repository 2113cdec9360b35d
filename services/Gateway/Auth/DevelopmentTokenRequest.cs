namespace Checkout.Gateway.Auth;

/// <summary>POST /dev/token body: who the token is for.</summary>
public sealed record DevelopmentTokenRequest(string? CustomerId, bool? Admin);
