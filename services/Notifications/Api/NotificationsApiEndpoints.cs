using Checkout.Contracts.Notifications.V1;
using Checkout.ServiceDefaults.Grpc;

namespace Checkout.Notifications.Api;

public static class NotificationsApiEndpoints
{
    /// <summary>Serves checkout.notifications.v1.Notifications with <see cref="NotificationsApi"/>.</summary>
    public static IEndpointConventionBuilder MapNotificationsApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.ServiceProvider.GetRequiredService<NotificationsApi>();
        return endpoints.MapGrpcService(NotificationsReflection.Descriptor.FindService("Notifications"), service => service
            .MapUnary<ListNotificationsRequest, ListNotificationsResponse>("ListNotifications", api.ListNotificationsAsync));
    }
}
