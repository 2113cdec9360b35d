using Checkout.Contracts;
using Checkout.Orders.Domain;
using Google.Protobuf;
using Contract = Checkout.Contracts.Events.V1;

namespace Checkout.Orders.Events;

/// <summary>
/// An event as Orders writes it to its outbox: the contract message (checkout.events.v1) of a domain event, on topic
/// "orders", keyed by the order id so that one order's events keep their order.
/// </summary>
public sealed record OutgoingEvent(string Topic, string Key, IMessage Payload)
{
    public static IReadOnlyList<OutgoingEvent> From(IReadOnlyList<OrderEvent> events) =>
        events.Count == 0 ? [] : [.. events.Select(From)];

    public static OutgoingEvent From(OrderEvent @event) => new(Topics.Orders, @event.OrderId.ToString(), ToContract(@event));

    private static IMessage ToContract(OrderEvent @event) => @event switch
    {
        OrderPlaced placed => new Contract.OrderPlaced
        {
            OrderId = placed.OrderId.ToString(),
            CustomerId = placed.CustomerId,
            Lines = { placed.Lines.Select(ToContract) },
            TotalMinor = placed.TotalMinor,
            Currency = placed.Currency,
            PaymentToken = placed.PaymentToken,
        },
        OrderConfirmed confirmed => new Contract.OrderConfirmed
        {
            OrderId = confirmed.OrderId.ToString(),
            CustomerId = confirmed.CustomerId,
            TotalMinor = confirmed.TotalMinor,
            Currency = confirmed.Currency,
        },
        OrderCancelled cancelled => new Contract.OrderCancelled
        {
            OrderId = cancelled.OrderId.ToString(),
            CustomerId = cancelled.CustomerId,
            Reason = cancelled.Reason,
            Lines = { cancelled.Lines.Select(ToContract) },
            WasConfirmed = cancelled.WasConfirmed,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(@event), @event.GetType().Name, "No contract event is defined for this domain event."),
    };

    private static Contract.EventLine ToContract(OrderLine line) =>
        new() { Sku = line.Sku, Quantity = line.Quantity, UnitPriceMinor = line.UnitPriceMinor };
}
