using Checkout.Contracts.Catalog.V1;
using Checkout.Contracts.Inventory.V1;
using Checkout.Contracts.Notifications.V1;
using Checkout.Contracts.Orders.V1;
using Checkout.Contracts.Payments.V1;
using Checkout.ServiceDefaults.Grpc;
using Google.Protobuf.Reflection;

namespace Checkout.AppHost.Hosting;

/// <summary>
/// Calls the five services' gRPC APIs, as a client of the running system would (tests, benchmarks, the host's
/// smoke checks). Every call has a deadline; a non-OK status throws <see cref="RpcException"/>. Thread-safe.
/// </summary>
public sealed class CheckoutClient : IDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private static readonly Method<ListProductsRequest, ListProductsResponse> ListProductsMethod = Find<ListProductsRequest, ListProductsResponse>(CatalogReflection.Descriptor, "Catalog", "ListProducts");
    private static readonly Method<PlaceOrderRequest, PlaceOrderResponse> PlaceOrderMethod = Find<PlaceOrderRequest, PlaceOrderResponse>(OrdersReflection.Descriptor, "Orders", "PlaceOrder");
    private static readonly Method<GetOrderRequest, Order> GetOrderMethod = Find<GetOrderRequest, Order>(OrdersReflection.Descriptor, "Orders", "GetOrder");
    private static readonly Method<ListOrdersRequest, ListOrdersResponse> ListOrdersMethod = Find<ListOrdersRequest, ListOrdersResponse>(OrdersReflection.Descriptor, "Orders", "ListOrders");
    private static readonly Method<CancelOrderRequest, Order> CancelOrderMethod = Find<CancelOrderRequest, Order>(OrdersReflection.Descriptor, "Orders", "CancelOrder");
    private static readonly Method<GetStockRequest, GetStockResponse> GetStockMethod = Find<GetStockRequest, GetStockResponse>(InventoryReflection.Descriptor, "Inventory", "GetStock");
    private static readonly Method<RestockRequest, StockLevel> RestockMethod = Find<RestockRequest, StockLevel>(InventoryReflection.Descriptor, "Inventory", "Restock");
    private static readonly Method<GetPaymentRequest, Payment> GetPaymentMethod = Find<GetPaymentRequest, Payment>(PaymentsReflection.Descriptor, "Payments", "GetPayment");
    private static readonly Method<ListNotificationsRequest, ListNotificationsResponse> ListNotificationsMethod = Find<ListNotificationsRequest, ListNotificationsResponse>(NotificationsReflection.Descriptor, "Notifications", "ListNotifications");

    private readonly Dictionary<string, (HttpClient Http, GrpcClient Grpc)> _clients;

    /// <param name="endpoints">Each service's address by logical name (catalog, orders, inventory, payments, notifications).</param>
    public CheckoutClient(IReadOnlyDictionary<string, Uri> endpoints)
    {
        _clients = endpoints.ToDictionary(
            endpoint => endpoint.Key,
            endpoint =>
            {
                var http = new HttpClient(GrpcClient.CreateHttpHandler());
                GrpcClient.ConfigureHttpClient(http, endpoint.Value);
                return (http, new GrpcClient(http));
            },
            StringComparer.Ordinal);
    }

    public CheckoutClient(CheckoutSystem system)
        : this(system.Services.ToDictionary(service => service.Key, service => service.Value.Endpoint))
    {
    }

    public Task<ListProductsResponse> ListProductsAsync(ListProductsRequest request, CancellationToken cancellationToken = default) =>
        Call("catalog", ListProductsMethod, request, cancellationToken);

    public Task<PlaceOrderResponse> PlaceOrderAsync(PlaceOrderRequest request, CancellationToken cancellationToken = default) =>
        Call("orders", PlaceOrderMethod, request, cancellationToken);

    public Task<Order> GetOrderAsync(string orderId, CancellationToken cancellationToken = default) =>
        Call("orders", GetOrderMethod, new GetOrderRequest { OrderId = orderId }, cancellationToken);

    public Task<ListOrdersResponse> ListOrdersAsync(ListOrdersRequest request, CancellationToken cancellationToken = default) =>
        Call("orders", ListOrdersMethod, request, cancellationToken);

    public Task<Order> CancelOrderAsync(CancelOrderRequest request, CancellationToken cancellationToken = default) =>
        Call("orders", CancelOrderMethod, request, cancellationToken);

    public Task<GetStockResponse> GetStockAsync(GetStockRequest request, CancellationToken cancellationToken = default) =>
        Call("inventory", GetStockMethod, request, cancellationToken);

    public Task<StockLevel> RestockAsync(string sku, int quantity, CancellationToken cancellationToken = default) =>
        Call("inventory", RestockMethod, new RestockRequest { Sku = sku, Quantity = quantity }, cancellationToken);

    public Task<Payment> GetPaymentAsync(string orderId, CancellationToken cancellationToken = default) =>
        Call("payments", GetPaymentMethod, new GetPaymentRequest { OrderId = orderId }, cancellationToken);

    public Task<ListNotificationsResponse> ListNotificationsAsync(ListNotificationsRequest request, CancellationToken cancellationToken = default) =>
        Call("notifications", ListNotificationsMethod, request, cancellationToken);

    public void Dispose()
    {
        foreach (var (http, _) in _clients.Values)
        {
            http.Dispose();
        }
    }

    private Task<TResponse> Call<TRequest, TResponse>(string service, Method<TRequest, TResponse> method, TRequest request, CancellationToken cancellationToken)
    {
        if (!_clients.TryGetValue(service, out var client))
        {
            throw new InvalidOperationException($"This client has no endpoint for '{service}'.");
        }

        return client.Grpc.UnaryAsync(method, request, new CallOptions(deadline: DateTime.UtcNow + CallTimeout, cancellationToken: cancellationToken));
    }

    private static Method<TRequest, TResponse> Find<TRequest, TResponse>(FileDescriptor file, string service, string method)
        where TRequest : class, Google.Protobuf.IMessage<TRequest>, new()
        where TResponse : class, Google.Protobuf.IMessage<TResponse>, new() =>
        Method.FromDescriptor<TRequest, TResponse>(file.FindService(service).FindMethodByName(method));
}
