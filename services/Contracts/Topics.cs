namespace Checkout.Contracts;

/// <summary>
/// The saga's Kafka topics, each named after the service that publishes to it and keyed by order id (so that one
/// order's events stay in order on one partition). A message that cannot be handled goes to the topic's dead-letter
/// topic, <see cref="DeadLetter"/>.
/// </summary>
public static class Topics
{
    /// <summary>Orders publishes OrderPlaced, OrderConfirmed and OrderCancelled.</summary>
    public const string Orders = "orders";

    /// <summary>Inventory publishes InventoryReserved and InventoryRejected.</summary>
    public const string Inventory = "inventory";

    /// <summary>Payments publishes PaymentSucceeded, PaymentFailed and PaymentRefunded.</summary>
    public const string Payments = "payments";

    /// <summary>Every topic of the saga, in the order the events of a checkout cross them.</summary>
    public static IReadOnlyList<string> All { get; } = [Orders, Inventory, Payments];

    /// <summary>The dead-letter topic of <paramref name="topic"/>.</summary>
    public static string DeadLetter(string topic) => topic + ".dlq";
}
