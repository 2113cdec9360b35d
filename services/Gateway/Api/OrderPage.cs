namespace Checkout.Gateway.Api;

public sealed record OrderPage(IReadOnlyList<OrderResponse> Orders, string? NextPageToken);
