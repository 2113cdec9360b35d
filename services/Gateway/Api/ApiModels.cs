using Checkout.Contracts.Orders.V1;
using Google.Protobuf.WellKnownTypes;
using ContractOrderStatus = Checkout.Contracts.Orders.V1.OrderStatus;
using ContractPaymentStatus = Checkout.Contracts.Payments.V1.PaymentStatus;

namespace Checkout.Gateway.Api;

// The public JSON shapes (camelCase on the wire). Requests have nullable members so that a missing field is a
// validation error naming it rather than a deserialisation failure; unknown fields are rejected (Program.cs).

public sealed record ProductSummary(string Sku, string Name, string Description, long UnitPriceMinor, string Currency, long? Available);

/// <summary>A catalogue page; available is null for every product when "availability" is in missing.</summary>
public sealed record ProductPage(IReadOnlyList<ProductSummary> Products, string? NextPageToken, IReadOnlyList<string> Missing);

/// <summary>One product; available is null when "availability" is in missing.</summary>
public sealed record ProductDetail(string Sku, string Name, string Description, long UnitPriceMinor, string Currency, long? Available, IReadOnlyList<string> Missing);

public sealed record PlaceOrderBody(IReadOnlyList<OrderLineBody>? Lines, string? PaymentToken);

public sealed record OrderLineBody(string? Sku, int? Quantity);

/// <summary>The answer to POST /api/orders, identical for every retry with the same Idempotency-Key and body.</summary>
public sealed record OrderAccepted(string OrderId);

public sealed record OrderLineResponse(string Sku, string Name, int Quantity, long UnitPriceMinor, long LineTotalMinor);

public sealed record TimelineEntryResponse(string Step, DateTimeOffset At, string? Detail);

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

public sealed record OrderPage(IReadOnlyList<OrderResponse> Orders, string? NextPageToken);

/// <summary>status: "pending", "captured", "failed", "refunded" or "voided".</summary>
public sealed record PaymentResponse(string Status, long AmountMinor, string Currency, int Attempts, string? FailureReason, long RefundedMinor, DateTimeOffset UpdatedAt)
{
    public static PaymentResponse From(Checkout.Contracts.Payments.V1.Payment payment) => new(
        payment.Status switch
        {
            ContractPaymentStatus.Pending => "pending",
            ContractPaymentStatus.Captured => "captured",
            ContractPaymentStatus.Failed => "failed",
            ContractPaymentStatus.Refunded => "refunded",
            ContractPaymentStatus.Voided => "voided",
            _ => "unknown",
        },
        payment.AmountMinor, payment.Currency, payment.Attempts, OrderResponse.NullIfEmpty(payment.FailureReason), payment.RefundedMinor,
        OrderResponse.ToTime(payment.UpdatedAt));
}

public sealed record NotificationResponse(string Kind, string Subject, string Body, DateTimeOffset SentAt);

/// <summary>
/// GET /api/orders/{id}: the order with its saga timeline, its payment (null while Payments has not heard of the
/// order) and the notifications sent about it. A part whose service could not answer is null and named in missing
/// ("payment", "notifications"): the view degrades instead of failing.
/// </summary>
public sealed record OrderView(OrderResponse Order, PaymentResponse? Payment, IReadOnlyList<NotificationResponse>? Notifications, IReadOnlyList<string> Missing);

public sealed record RestockBody(int? Quantity);

public sealed record StockLevelResponse(string Sku, long Available, long Reserved, long Sold);
