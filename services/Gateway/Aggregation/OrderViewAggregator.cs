using Checkout.Gateway.Api;
using Checkout.Gateway.Backends;
using Grpc.Core;

namespace Checkout.Gateway.Aggregation;

/// <summary>
/// Builds <see cref="OrderView"/> from Orders, Payments and Notifications, asked in parallel. The order is the part
/// the view cannot do without (its failure is the answer's failure, its NOT_FOUND a 404, which also hides other
/// customers' orders); payment and notifications are optional: a service that is down or slow (past
/// Gateway:OptionalPartDeadline) leaves its part null and named in missing.
/// </summary>
public sealed partial class OrderViewAggregator(ServiceClients services, ILogger<OrderViewAggregator> logger)
{
    public const string PaymentPart = "payment";
    public const string NotificationsPart = "notifications";

    /// <summary>The caller's order view, or null when there is no such order of <paramref name="customerId"/>.</summary>
    public async Task<OrderView?> GetAsync(string orderId, string customerId, CancellationToken cancellationToken)
    {
        // Started before the order is known to be the caller's, to save a round trip; discarded if it is not.
        var payment = OptionalAsync(services.GetPaymentAsync(orderId, cancellationToken), PaymentPart, notFoundIsNone: true);
        var notifications = OptionalAsync(services.ListNotificationsAsync(customerId, orderId, cancellationToken), NotificationsPart, notFoundIsNone: false);
        Contracts.Orders.V1.Order order;
        try
        {
            order = await services.GetOrderAsync(orderId, customerId, cancellationToken);
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
        finally
        {
            // The optional parts never throw; awaiting them here leaves nothing running when the order call fails.
            await Task.WhenAll(payment, notifications);
        }

        var (paymentPart, paymentMissing) = await payment;
        var (notificationsPart, notificationsMissing) = await notifications;
        var missing = new List<string>(2);
        if (paymentMissing)
            missing.Add(PaymentPart);
        if (notificationsMissing)
            missing.Add(NotificationsPart);
        return new OrderView(
            OrderResponse.From(order),
            paymentPart is null ? null : PaymentResponse.From(paymentPart),
            notificationsPart?.Notifications.Select(n => new NotificationResponse(n.Kind, n.Subject, n.Body, OrderResponse.ToTime(n.SentAt))).ToList(),
            missing);
    }

    /// <summary>The part, or (null, false) for NOT_FOUND when that means "nothing yet", or (null, true) when its service failed.</summary>
    private async Task<(T? Value, bool Missing)> OptionalAsync<T>(Task<T> call, string part, bool notFoundIsNone) where T : class
    {
        try
        {
            return (await call, false);
        }
        catch (RpcException exception) when (notFoundIsNone && exception.StatusCode == StatusCode.NotFound)
        {
            return (null, false);
        }
        catch (RpcException exception)
        {
            LogPartMissing(logger, part, exception.StatusCode, exception.Status.Detail);
            return (null, true);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Order view without its {Part}: {StatusCode} {Detail}")]
    private static partial void LogPartMissing(ILogger logger, string part, StatusCode statusCode, string detail);
}
