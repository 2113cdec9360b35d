using Checkout.Orders.Domain;

namespace Checkout.Orders.Data;

/// <summary>The order an idempotency key already names, and whether the request that named it was the same.</summary>
public sealed record ExistingOrder(Guid OrderId, OrderStatus Status, bool SameRequest);
