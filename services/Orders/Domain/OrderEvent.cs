namespace Checkout.Orders.Domain;

/// <summary>A fact about an order that the other services of the saga must learn, raised by <see cref="Order"/>'s decisions.</summary>
public abstract record OrderEvent(Guid OrderId);
