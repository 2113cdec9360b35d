using Checkout.Contracts;
using Checkout.Contracts.Events.V1;
using Checkout.Contracts.Payments.V1;
using Grpc.Core;

namespace Checkout.Services.Tests.Payments;

/// <summary>
/// Payments run by the app host's model, with its database on the fixture's own PostgreSQL and the embedded broker.
/// The provider's resilience is tightened so that "tok_timeout" fails in about a second.
/// </summary>
public sealed class PaymentsFixture() : ServiceFixture(ServiceNames.Payments, DatabaseNames.Payments, usesBroker: true)
{
    public const int MaxRetryAttempts = 3;

    protected override IReadOnlyDictionary<string, string> Environment { get; } = new Dictionary<string, string>
    {
        ["PaymentProvider__Resilience__AttemptTimeout__Timeout"] = "00:00:01.500",
        ["PaymentProvider__Resilience__Retry__Delay"] = "00:00:00.020",
        ["PaymentProvider__Resilience__Retry__MaxRetryAttempts"] = MaxRetryAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["PaymentProvider__Resilience__TotalRequestTimeout__Timeout"] = "00:00:04",
    };

    public Checkout.Contracts.Payments.V1.Payments.PaymentsClient Client => new(Channel);

    public Task<Payment> GetAsync(string orderId) => Client.GetPaymentAsync(new GetPaymentRequest { OrderId = orderId }, CallOptions()).ResponseAsync;

    /// <summary>Waits (bounded) until the order's payment reaches <paramref name="status"/>.</summary>
    public async Task<Payment> WaitForStatusAsync(string orderId, PaymentStatus status)
    {
        Payment? payment = null;
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                payment = await GetAsync(orderId);
            }
            catch (RpcException exception) when (exception.StatusCode == StatusCode.NotFound)
            {
                return false;
            }
            return payment.Status == status;
        }, $"the payment of {orderId} is {status}");
        return payment!;
    }

    public static OrderPlaced Placed(string orderId, string token, long totalMinor = 4200) => new()
    {
        OrderId = orderId,
        CustomerId = "customer-1",
        TotalMinor = totalMinor,
        Currency = "EUR",
        PaymentToken = token,
        Lines = { new EventLine { Sku = "SKU-1", Quantity = 1, UnitPriceMinor = totalMinor } },
    };

    public static InventoryReserved Reserved(string orderId) => new()
    {
        OrderId = orderId,
        Lines = { new EventLine { Sku = "SKU-1", Quantity = 1 } },
    };
}
