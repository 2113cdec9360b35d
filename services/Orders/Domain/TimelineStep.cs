namespace Checkout.Orders.Domain;

/// <summary>An entry of an order's timeline: what happened ("placed", "inventory-reserved", ...) and its details.</summary>
public sealed record TimelineStep(string Step, string Detail);
