using Checkout.Contracts;
using Checkout.Contracts.Catalog.V1;
using Checkout.Contracts.Inventory.V1;
using Checkout.Contracts.Notifications.V1;
using Checkout.Contracts.Orders.V1;
using Checkout.Contracts.Payments.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Checkout.AppHost.Hosting;

/// <summary>
/// Calls the five services' gRPC APIs through their generated clients, as a client of the running system would
/// (tests, benchmarks, the host's smoke checks). Every call has a deadline; a non-OK status throws
/// <see cref="RpcException"/>. Thread-safe.
/// </summary>
public sealed class CheckoutClient : IDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, GrpcChannel> _channels;

    /// <param name="endpoints">Each service's address by its name (<see cref="ServiceNames"/>).</param>
    public CheckoutClient(IReadOnlyDictionary<string, Uri> endpoints)
    {
        _channels = endpoints.ToDictionary(endpoint => endpoint.Key, endpoint => GrpcChannel.ForAddress(endpoint.Value), StringComparer.Ordinal);
    }

    public CheckoutClient(CheckoutSystem system)
        : this(system.Services.ToDictionary(service => service.Key, service => service.Value.Endpoint))
    {
    }

    public Catalog.CatalogClient Catalog => new(ChannelOf(ServiceNames.Catalog));
    public Orders.OrdersClient Orders => new(ChannelOf(ServiceNames.Orders));
    public Inventory.InventoryClient Inventory => new(ChannelOf(ServiceNames.Inventory));
    public Payments.PaymentsClient Payments => new(ChannelOf(ServiceNames.Payments));
    public Notifications.NotificationsClient Notifications => new(ChannelOf(ServiceNames.Notifications));

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

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }
    }

    private GrpcChannel ChannelOf(string service) =>
        _channels.TryGetValue(service, out var channel)
            ? channel
            : throw new InvalidOperationException($"This client has no endpoint for '{service}'.");
}
