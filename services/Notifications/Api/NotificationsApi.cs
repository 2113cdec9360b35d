using Checkout.Contracts;
using Checkout.Contracts.Notifications.V1;
using Checkout.Notifications.Data;
using Checkout.ServiceDefaults.Grpc;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using ContractNotification = Checkout.Contracts.Notifications.V1.Notification;

namespace Checkout.Notifications.Api;

/// <summary>The gRPC service checkout.notifications.v1.Notifications: validation at the edge, mapping to the contract.</summary>
public sealed class NotificationsApi(NotificationRepository notifications) : Contracts.Notifications.V1.Notifications.NotificationsBase
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    /// <summary>One customer's notifications (of one order when order_id is set), newest first, keyset-paged.</summary>
    public override async Task<ListNotificationsResponse> ListNotifications(ListNotificationsRequest request, ServerCallContext context)
    {
        if (request.CustomerId.Length == 0)
            throw InvalidArgument("customer_id is required.");
        if (!CustomerId.IsValid(request.CustomerId))
            throw InvalidArgument($"customer_id {CustomerId.Rule}.");
        Guid? orderId = null;
        if (request.OrderId.Length > 0)
        {
            if (!Guid.TryParseExact(request.OrderId, "D", out var parsed))
                throw InvalidArgument("order_id must be a UUID.");
            orderId = parsed;
        }
        var pageSize = request.PageSize == 0 ? DefaultPageSize : request.PageSize;
        if (pageSize is < 1 or > MaxPageSize)
            throw InvalidArgument($"page_size must be between 1 and {MaxPageSize} (0 means {DefaultPageSize}).");
        long? beforeSequence = null;
        if (request.PageToken.Length > 0)
        {
            if (!PageToken.TryDecode(request.PageToken, out long sequence) || sequence <= 0)
                throw InvalidArgument("page_token is not a token this service issued.");
            beforeSequence = sequence;
        }

        // One row more than the page tells whether another page follows.
        var rows = await notifications.ListAsync(request.CustomerId, orderId, beforeSequence, pageSize + 1, context.CancellationToken);
        var response = new ListNotificationsResponse();
        foreach (var notification in rows.Take(pageSize))
            response.Notifications.Add(ToContract(notification));
        if (rows.Count > pageSize)
            response.NextPageToken = PageToken.Encode(rows[pageSize - 1].Sequence);
        return response;
    }

    private static RpcException InvalidArgument(string message) => new(new Status(StatusCode.InvalidArgument, message));

    private static ContractNotification ToContract(Domain.Notification notification) => new()
    {
        NotificationId = notification.NotificationId.ToString(),
        CustomerId = notification.CustomerId,
        OrderId = notification.OrderId.ToString(),
        Kind = notification.Kind,
        Subject = notification.Subject,
        Body = notification.Body,
        SentAt = Timestamp.FromDateTime(DateTime.SpecifyKind(notification.SentAt, DateTimeKind.Utc)),
    };
}
