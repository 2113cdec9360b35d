using Checkout.Contracts.Orders.V1;
using Google.Protobuf.WellKnownTypes;
using ContractOrderStatus = Checkout.Contracts.Orders.V1.OrderStatus;

namespace Checkout.Gateway.Api;

/// <summary>An order; status is "pending", "confirmed" or "cancelled".</summary>
public sealed record OrderResponse(
    string OrderId, string Status, IReadOnlyList<OrderLineResponse> Lines, long TotalMinor, string Currency,
    string? CancellationReason, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IReadOnlyList<TimelineEntryResponse> Timeline)
{
    public static OrderResponse From(Order order) => new(
        order.OrderId,
        order.Status switch
        {
            ContractOrderStatus.Pending => "pending",
            ContractOrderStatus.Confirmed => "confirmed",
            ContractOrderStatus.Cancelled => "cancelled",
            _ => "unknown",
        },
        [.. order.Lines.Select(line => new OrderLineResponse(line.Sku, line.Name, line.Quantity, line.UnitPriceMinor, line.LineTotalMinor))],
        order.TotalMinor,
        order.Currency,
        NullIfEmpty(order.CancellationReason),
        ToTime(order.CreatedAt),
        ToTime(order.UpdatedAt),
        [.. order.Timeline.Select(entry => new TimelineEntryResponse(entry.Step, ToTime(entry.At), NullIfEmpty(entry.Detail)))]);

    internal static DateTimeOffset ToTime(Timestamp? timestamp) => timestamp?.ToDateTimeOffset() ?? default;

    internal static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
