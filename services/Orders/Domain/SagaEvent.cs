namespace Checkout.Orders.Domain;

/// <summary>What the saga learned about an order from another service.</summary>
public abstract record SagaEvent
{
    /// <summary>The timeline step this event records, for example "inventory-reserved".</summary>
    public abstract string Step { get; }

    /// <summary>What the timeline says about it.</summary>
    public abstract string Detail { get; }
}
