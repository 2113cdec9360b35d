using Checkout.Payments.Domain;

namespace Checkout.Services.Tests.Payments;

/// <summary>The payment's join and compensation rules, alone.</summary>
public sealed class PaymentRulesTests
{
    [Theory]
    [InlineData(false, false, PaymentAction.None)]
    [InlineData(true, false, PaymentAction.None)]
    [InlineData(false, true, PaymentAction.None)]
    [InlineData(true, true, PaymentAction.Charge)]
    public void A_pending_payment_is_charged_only_when_both_events_are_known(bool orderPlaced, bool stockReserved, PaymentAction expected) =>
        Assert.Equal(expected, PaymentRules.AfterSagaEvent(new PaymentProgress(PaymentStatus.Pending, orderPlaced, stockReserved)));

    [Theory]
    [InlineData(PaymentStatus.Captured)]
    [InlineData(PaymentStatus.Failed)]
    [InlineData(PaymentStatus.Refunded)]
    [InlineData(PaymentStatus.Voided)]
    public void A_decided_payment_is_never_charged_again(PaymentStatus status) =>
        Assert.Equal(PaymentAction.None, PaymentRules.AfterSagaEvent(new PaymentProgress(status, OrderPlaced: true, StockReserved: true)));

    [Theory]
    [InlineData(PaymentStatus.Pending, PaymentAction.Void)]
    [InlineData(PaymentStatus.Captured, PaymentAction.Refund)]
    [InlineData(PaymentStatus.Failed, PaymentAction.None)]
    [InlineData(PaymentStatus.Refunded, PaymentAction.None)]
    [InlineData(PaymentStatus.Voided, PaymentAction.None)]
    public void A_cancellation_voids_what_was_not_charged_and_refunds_what_was(PaymentStatus status, PaymentAction expected) =>
        Assert.Equal(expected, PaymentRules.OnOrderCancelled(status));
}
