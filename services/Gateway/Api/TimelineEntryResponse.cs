namespace Checkout.Gateway.Api;

public sealed record TimelineEntryResponse(string Step, DateTimeOffset At, string? Detail);
