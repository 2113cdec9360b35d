namespace Checkout.Orders.Data;

/// <summary>A stored timeline entry of an order, with the time it was recorded.</summary>
public sealed record TimelineRecord(string Step, string Detail, DateTime At);
