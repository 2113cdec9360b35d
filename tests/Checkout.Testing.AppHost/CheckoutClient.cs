using Checkout.Contracts;
using Checkout.Contracts.Catalog.V1;
using Checkout.Contracts.Inventory.V1;
using Checkout.Contracts.Notifications.V1;
using Checkout.Contracts.Orders.V1;
using Checkout.Contracts.Payments.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Checkout.Testing.AppHost;

/// <summary>
/// Calls the five services' gRPC APIs of a <see cref="CheckoutApp"/> through their generated clients, as a client of
/// the running system would. Every call has a deadline; a non-OK status throws <see cref="RpcException"/>.
/// </summary>
public sealed class CheckoutClient
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private readonly CheckoutApp _app;

    public CheckoutClient(CheckoutApp app) => _app = app;

    public Catalog.CatalogClient Catalog => new(_app.Channel(ServiceNames.Catalog));
    public Orders.OrdersClient Orders => new(_app.Channel(ServiceNames.Orders));
    public Inventory.InventoryClient Inventory => new(_app.Channel(ServiceNames.Inventory));
    public Payments.PaymentsClient Payments => new(_app.Channel(ServiceNames.Payments));
    public Notifications.NotificationsClient Notifications => new(_app.Channel(ServiceNames.Notifications));

    public Task<ListProductsResponse> ListProductsAsync(ListProductsRequest request, CancellationToken cancellationToken = default) =>
        Catalog.ListProductsAsync(request, Options(cancellationToken)).ResponseAsync;

    public Task<PlaceOrderResponse> PlaceOrderAsync(PlaceOrderRequest request, CancellationToken cancellationToken = default) =>
        Orders.PlaceOrderAsync(request, Options(cancellationToken)).ResponseAsync;

    public Task<Order> GetOrderAsync(string orderId, CancellationToken cancellationToken = default) =>
        Orders.GetOrderAsync(new GetOrderRequest { OrderId = orderId }, Options(cancellationToken)).ResponseAsync;

    public Task<ListOrdersResponse> ListOrdersAsync(ListOrdersRequest request, CancellationToken cancellationToken = default) =>
        Orders.ListOrdersAsync(request, Options(cancellationToken)).ResponseAsync;

    public Task<Order> CancelOrderAsync(CancelOrderRequest request, CancellationToken cancellationToken = default) =>
        Orders.CancelOrderAsync(request, Options(cancellationToken)).ResponseAsync;

    public Task<GetStockResponse> GetStockAsync(GetStockRequest request, CancellationToken cancellationToken = default) =>
        Inventory.GetStockAsync(request, Options(cancellationToken)).ResponseAsync;

    public Task<StockLevel> RestockAsync(string sku, int quantity, CancellationToken cancellationToken = default) =>
        Inventory.RestockAsync(new RestockRequest { Sku = sku, Quantity = quantity }, Options(cancellationToken)).ResponseAsync;

    public Task<Payment> GetPaymentAsync(string orderId, CancellationToken cancellationToken = default) =>
        Payments.GetPaymentAsync(new GetPaymentRequest { OrderId = orderId }, Options(cancellationToken)).ResponseAsync;

    public Task<ListNotificationsResponse> ListNotificationsAsync(ListNotificationsRequest request, CancellationToken cancellationToken = default) =>
        Notifications.ListNotificationsAsync(request, Options(cancellationToken)).ResponseAsync;

    /// <summary>A call's options: the client's deadline and <paramref name="cancellationToken"/>.</summary>
    public static CallOptions Options(CancellationToken cancellationToken = default) =>
        new(deadline: DateTime.UtcNow + CallTimeout, cancellationToken: cancellationToken);
}
