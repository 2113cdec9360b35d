using Checkout.Contracts;
using Checkout.Contracts.Catalog.V1;
using Checkout.Contracts.Inventory.V1;
using Checkout.Contracts.Notifications.V1;
using Checkout.Contracts.Orders.V1;
using Checkout.Contracts.Payments.V1;
using Checkout.ServiceDefaults.Grpc;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Checkout.Gateway.Backends;

/// <summary>
/// The gRPC calls the gateway makes, one method per rpc, each with its deadline. The generated clients come from
/// AddGrpcServiceClient: addressed by service name and resolved by service discovery (services__orders__http__0),
/// with the gRPC-safe resilience pipeline and the request's correlation id as metadata. A non-OK status throws
/// <see cref="RpcException"/>.
/// </summary>
public sealed class ServiceClients(
    Catalog.CatalogClient catalog,
    Inventory.InventoryClient inventory,
    Orders.OrdersClient orders,
    Payments.PaymentsClient payments,
    Notifications.NotificationsClient notifications,
    IOptions<GatewayOptions> options)
{
    private readonly GatewayOptions _options = options.Value;

    /// <summary>Registers the five clients and this class.</summary>
    public static IServiceCollection AddServiceClients(IServiceCollection services)
    {
        services.AddGrpcServiceClient<Catalog.CatalogClient>(ServiceNames.Catalog);
        services.AddGrpcServiceClient<Inventory.InventoryClient>(ServiceNames.Inventory);
        services.AddGrpcServiceClient<Orders.OrdersClient>(ServiceNames.Orders);
        services.AddGrpcServiceClient<Payments.PaymentsClient>(ServiceNames.Payments);
        services.AddGrpcServiceClient<Notifications.NotificationsClient>(ServiceNames.Notifications);
        services.AddTransient<ServiceClients>();
        return services;
    }

    public Task<ListProductsResponse> ListProductsAsync(int pageSize, string pageToken, CancellationToken cancellationToken) =>
        catalog.ListProductsAsync(new ListProductsRequest { PageSize = pageSize, PageToken = pageToken }, Options(_options.CallDeadline, cancellationToken)).ResponseAsync;

    public Task<Product> GetProductAsync(string sku, CancellationToken cancellationToken) =>
        catalog.GetProductAsync(new GetProductRequest { Sku = sku }, Options(_options.CallDeadline, cancellationToken)).ResponseAsync;

    /// <summary>Stock of <paramref name="skus"/> in one call: an optional part of product answers.</summary>
    public Task<GetStockResponse> GetStockAsync(IEnumerable<string> skus, CancellationToken cancellationToken) =>
        inventory.GetStockAsync(new GetStockRequest { Skus = { skus } }, Options(_options.OptionalPartDeadline, cancellationToken)).ResponseAsync;

    public Task<StockLevel> RestockAsync(string sku, int quantity, CancellationToken cancellationToken) =>
        inventory.RestockAsync(new RestockRequest { Sku = sku, Quantity = quantity }, Options(_options.CallDeadline, cancellationToken)).ResponseAsync;

    public Task<PlaceOrderResponse> PlaceOrderAsync(PlaceOrderRequest request, CancellationToken cancellationToken) =>
        orders.PlaceOrderAsync(request, Options(_options.PlaceOrderDeadline, cancellationToken)).ResponseAsync;

    /// <summary>The order when it exists and is <paramref name="customerId"/>'s; NOT_FOUND otherwise.</summary>
    public Task<Order> GetOrderAsync(string orderId, string customerId, CancellationToken cancellationToken) =>
        orders.GetOrderAsync(new GetOrderRequest { OrderId = orderId, CustomerId = customerId }, Options(_options.CallDeadline, cancellationToken)).ResponseAsync;

    public Task<ListOrdersResponse> ListOrdersAsync(string customerId, int pageSize, string pageToken, CancellationToken cancellationToken) =>
        orders.ListOrdersAsync(new ListOrdersRequest { CustomerId = customerId, PageSize = pageSize, PageToken = pageToken }, Options(_options.CallDeadline, cancellationToken)).ResponseAsync;

    public Task<Order> CancelOrderAsync(string orderId, string customerId, CancellationToken cancellationToken) =>
        orders.CancelOrderAsync(new CancelOrderRequest { OrderId = orderId, CustomerId = customerId }, Options(_options.CallDeadline, cancellationToken)).ResponseAsync;

    /// <summary>An order's payment: an optional part of the order view.</summary>
    public Task<Payment> GetPaymentAsync(string orderId, CancellationToken cancellationToken) =>
        payments.GetPaymentAsync(new GetPaymentRequest { OrderId = orderId }, Options(_options.OptionalPartDeadline, cancellationToken)).ResponseAsync;

    /// <summary>The notifications about one order: an optional part of the order view.</summary>
    public Task<ListNotificationsResponse> ListNotificationsAsync(string customerId, string orderId, CancellationToken cancellationToken) =>
        notifications.ListNotificationsAsync(new ListNotificationsRequest { CustomerId = customerId, OrderId = orderId }, Options(_options.OptionalPartDeadline, cancellationToken)).ResponseAsync;

    private static CallOptions Options(TimeSpan deadline, CancellationToken cancellationToken) =>
        new(deadline: DateTime.UtcNow + deadline, cancellationToken: cancellationToken);
}
