using Checkout.Contracts.Payments.V1;
using Checkout.Payments.Data;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using DomainStatus = Checkout.Payments.Domain.PaymentStatus;

namespace Checkout.Payments.Api;

/// <summary>The checkout.payments.v1.Payments gRPC service.</summary>
public sealed class PaymentsApi(PaymentStore store) : Contracts.Payments.V1.Payments.PaymentsBase
{
    public override async Task<Payment> GetPayment(GetPaymentRequest request, ServerCallContext context)
    {
        if (!Guid.TryParseExact(request.OrderId, "D", out var orderId))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "order_id must be a UUID such as 0190a5c2-7f3e-7d4a-9c1b-2f5e8a6b4c3d"));
        var payment = await store.GetAsync(orderId, context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"no payment for order {request.OrderId} (yet)"));
        return new Payment
        {
            OrderId = request.OrderId,
            Status = payment.Status switch
            {
                DomainStatus.Pending => PaymentStatus.Pending,
                DomainStatus.Captured => PaymentStatus.Captured,
                DomainStatus.Failed => PaymentStatus.Failed,
                DomainStatus.Refunded => PaymentStatus.Refunded,
                DomainStatus.Voided => PaymentStatus.Voided,
                _ => PaymentStatus.Unspecified,
            },
            AmountMinor = payment.AmountMinor,
            Currency = payment.Currency,
            Attempts = payment.Attempts,
            ProviderReference = payment.ProviderReference ?? "",
            FailureReason = payment.FailureReason ?? "",
            RefundedMinor = payment.RefundedMinor,
            UpdatedAt = Timestamp.FromDateTime(payment.UpdatedAt),
        };
    }
}
