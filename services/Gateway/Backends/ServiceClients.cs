using Checkout.Contracts.Catalog.V1;
using Checkout.Contracts.Inventory.V1;
using Checkout.Contracts.Notifications.V1;
using Checkout.Contracts.Orders.V1;
using Checkout.Contracts.Payments.V1;
using Checkout.Gateway.Edge;
using Checkout.ServiceDefaults.Grpc;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Microsoft.Extensions.Options;

namespace Checkout.Gateway.Backends;

/// <summary>
/// The gRPC calls the gateway makes, one method per rpc, each with its deadline and the request's correlation id
/// as metadata. The clients come from AddGrpcClient: logical addresses resolved by service discovery
/// (services__orders__http__0), with the gRPC-safe standard resilience pipeline. A non-OK status throws
/// <see cref="RpcException"/>.
/// </summary>
public sealed class ServiceClients(
    [FromKeyedServices(ServiceClients.Catalog)] GrpcClient catalog,
    [FromKeyedServices(ServiceClients.Inventory)] GrpcClient inventory,
    [FromKeyedServices(ServiceClients.Orders)] GrpcClient orders,
    [FromKeyedServices(ServiceClients.Payments)] GrpcClient payments,
    [FromKeyedServices(ServiceClients.Notifications)] GrpcClient notifications,
    IOptions<GatewayOptions> options,
    IHttpContextAccessor httpContextAccessor)
{
    public const string Catalog = "catalog";
    public const string Inventory = "inventory";
    public const string Orders = "orders";
    public const string Payments = "payments";
    public const string Notifications = "notifications";

    private static readonly Method<ListProductsRequest, ListProductsResponse> ListProductsMethod = Find<ListProductsRequest, ListProductsResponse>(CatalogReflection.Descriptor, "Catalog", "ListProducts");
    private static readonly Method<GetProductRequest, Product> GetProductMethod = Find<GetProductRequest, Product>(CatalogReflection.Descriptor, "Catalog", "GetProduct");
    private static readonly Method<GetStockRequest, GetStockResponse> GetStockMethod = Find<GetStockRequest, GetStockResponse>(InventoryReflection.Descriptor, "Inventory", "GetStock");
    private static readonly Method<RestockRequest, StockLevel> RestockMethod = Find<RestockRequest, StockLevel>(InventoryReflection.Descriptor, "Inventory", "Restock");
    private static readonly Method<PlaceOrderRequest, PlaceOrderResponse> PlaceOrderMethod = Find<PlaceOrderRequest, PlaceOrderResponse>(OrdersReflection.Descriptor, "Orders", "PlaceOrder");
    private static readonly Method<GetOrderRequest, Order> GetOrderMethod = Find<GetOrderRequest, Order>(OrdersReflection.Descriptor, "Orders", "GetOrder");
    private static readonly Method<ListOrdersRequest, ListOrdersResponse> ListOrdersMethod = Find<ListOrdersRequest, ListOrdersResponse>(OrdersReflection.Descriptor, "Orders", "ListOrders");
    private static readonly Method<CancelOrderRequest, Order> CancelOrderMethod = Find<CancelOrderRequest, Order>(OrdersReflection.Descriptor, "Orders", "CancelOrder");
    private static readonly Method<GetPaymentRequest, Payment> GetPaymentMethod = Find<GetPaymentRequest, Payment>(PaymentsReflection.Descriptor, "Payments", "GetPayment");
    private static readonly Method<ListNotificationsRequest, ListNotificationsResponse> ListNotificationsMethod = Find<ListNotificationsRequest, ListNotificationsResponse>(NotificationsReflection.Descriptor, "Notifications", "ListNotifications");

    private readonly GatewayOptions _options = options.Value;

    /// <summary>Registers the five clients (logical addresses http://catalog ...) and this class.</summary>
    public static IServiceCollection AddServiceClients(IServiceCollection services)
    {
        foreach (var name in (string[])[Catalog, Inventory, Orders, Payments, Notifications])
            services.AddGrpcClient(name, new Uri("http://" + name));
        services.AddHttpContextAccessor();
        services.AddTransient<ServiceClients>();
        return services;
    }

    public Task<ListProductsResponse> ListProductsAsync(int pageSize, string pageToken, CancellationToken cancellationToken) =>
        catalog.UnaryAsync(ListProductsMethod, new ListProductsRequest { PageSize = pageSize, PageToken = pageToken }, Options(_options.CallDeadline, cancellationToken));

    public Task<Product> GetProductAsync(string sku, CancellationToken cancellationToken) =>
        catalog.UnaryAsync(GetProductMethod, new GetProductRequest { Sku = sku }, Options(_options.CallDeadline, cancellationToken));

    /// <summary>Stock of <paramref name="skus"/> in one call: an optional part of product answers.</summary>
    public Task<GetStockResponse> GetStockAsync(IEnumerable<string> skus, CancellationToken cancellationToken) =>
        inventory.UnaryAsync(GetStockMethod, new GetStockRequest { Skus = { skus } }, Options(_options.OptionalPartDeadline, cancellationToken));

    public Task<StockLevel> RestockAsync(string sku, int quantity, CancellationToken cancellationToken) =>
        inventory.UnaryAsync(RestockMethod, new RestockRequest { Sku = sku, Quantity = quantity }, Options(_options.CallDeadline, cancellationToken));

    public Task<PlaceOrderResponse> PlaceOrderAsync(PlaceOrderRequest request, CancellationToken cancellationToken) =>
        orders.UnaryAsync(PlaceOrderMethod, request, Options(_options.PlaceOrderDeadline, cancellationToken));

    /// <summary>The order when it exists and is <paramref name="customerId"/>'s; NOT_FOUND otherwise.</summary>
    public Task<Order> GetOrderAsync(string orderId, string customerId, CancellationToken cancellationToken) =>
        orders.UnaryAsync(GetOrderMethod, new GetOrderRequest { OrderId = orderId, CustomerId = customerId }, Options(_options.CallDeadline, cancellationToken));

    public Task<ListOrdersResponse> ListOrdersAsync(string customerId, int pageSize, string pageToken, CancellationToken cancellationToken) =>
        orders.UnaryAsync(ListOrdersMethod, new ListOrdersRequest { CustomerId = customerId, PageSize = pageSize, PageToken = pageToken }, Options(_options.CallDeadline, cancellationToken));

    public Task<Order> CancelOrderAsync(string orderId, string customerId, CancellationToken cancellationToken) =>
        orders.UnaryAsync(CancelOrderMethod, new CancelOrderRequest { OrderId = orderId, CustomerId = customerId }, Options(_options.CallDeadline, cancellationToken));

    /// <summary>An order's payment: an optional part of the order view.</summary>
    public Task<Payment> GetPaymentAsync(string orderId, CancellationToken cancellationToken) =>
        payments.UnaryAsync(GetPaymentMethod, new GetPaymentRequest { OrderId = orderId }, Options(_options.OptionalPartDeadline, cancellationToken));

    /// <summary>The notifications about one order: an optional part of the order view.</summary>
    public Task<ListNotificationsResponse> ListNotificationsAsync(string customerId, string orderId, CancellationToken cancellationToken) =>
        notifications.UnaryAsync(ListNotificationsMethod, new ListNotificationsRequest { CustomerId = customerId, OrderId = orderId }, Options(_options.OptionalPartDeadline, cancellationToken));

    private CallOptions Options(TimeSpan deadline, CancellationToken cancellationToken)
    {
        var metadata = new Metadata();
        if (httpContextAccessor.HttpContext is { } context && CorrelationId.Get(context) is { } correlationId)
            metadata.Add(CorrelationId.MetadataKey, correlationId);
        return new CallOptions(metadata, DateTime.UtcNow + deadline, cancellationToken);
    }

    private static Method<TRequest, TResponse> Find<TRequest, TResponse>(FileDescriptor file, string service, string method)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new() =>
        Method.FromDescriptor<TRequest, TResponse>(file.FindService(service).FindMethodByName(method));
}
