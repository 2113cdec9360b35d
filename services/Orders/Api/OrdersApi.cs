using System.Security.Cryptography;
using Checkout.Contracts.Orders.V1;
using Checkout.Orders.Clients;
using Checkout.Orders.Data;
using Checkout.Orders.Events;
using Checkout.ServiceDefaults.Grpc;
using Checkout.ServiceDefaults.Messaging;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Npgsql;
using DomainStatus = Checkout.Orders.Domain.OrderStatus;

namespace Checkout.Orders.Api;

/// <summary>
/// The checkout.orders.v1.Orders gRPC service: validation at the edge, mapping to and from the contract; the order
/// itself decides (Domain) and the store keeps what it decided.
/// </summary>
public sealed partial class OrdersApi(
    NpgsqlDataSource dataSource,
    OrderStore store,
    IOutbox outbox,
    CatalogPricing pricing,
    ILogger<OrdersApi> logger) : Contracts.Orders.V1.Orders.OrdersBase
{
    private const int DefaultPageSize = 20;
    private const int MaxPageSize = 100;

    public override async Task<PlaceOrderResponse> PlaceOrder(PlaceOrderRequest request, ServerCallContext context)
    {
        if (PlaceOrderValidator.Validate(request) is { } error)
            throw new RpcException(new Status(StatusCode.InvalidArgument, error));
        var cancellationToken = context.CancellationToken;
        var requestHash = SHA256.HashData(request.ToByteArray());

        // A retry of a placed order is answered without asking Catalog again (and even while Catalog is down).
        if (await store.FindByIdempotencyKeyAsync(request.CustomerId, request.IdempotencyKey, requestHash, cancellationToken) is { } earlier)
            return Existing(earlier);

        var (lines, currency) = await pricing.PriceAsync(request.Lines.Select(line => (line.Sku, line.Quantity)).ToList(), cancellationToken);
        Domain.OrderChange placed;
        try
        {
            placed = Domain.Order.Place(request.CustomerId, lines, currency, request.PaymentToken);
        }
        catch (OverflowException)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the order total is too large"));
        }

        if (await store.PlaceAsync(placed, OutgoingEvent.From(placed.Events), request.IdempotencyKey, requestHash, cancellationToken) is { } winner)
            return Existing(winner);
        var order = placed.Order;
        LogPlaced(logger, order.OrderId, order.CustomerId, order.TotalMinor, order.Currency);
        return new PlaceOrderResponse { OrderId = order.OrderId.ToString(), Status = ToContract(order.Status), Created = true };
    }

    public override async Task<Order> GetOrder(GetOrderRequest request, ServerCallContext context)
    {
        var orderId = ParseOrderId(request.OrderId);
        var customerId = OptionalCustomerId(request.CustomerId);
        var order = await store.GetAsync(orderId, customerId, context.CancellationToken) ?? throw NotFound(request.OrderId);
        return ToContract(order);
    }

    public override async Task<ListOrdersResponse> ListOrders(ListOrdersRequest request, ServerCallContext context)
    {
        if (PlaceOrderValidator.ValidateCustomerId(request.CustomerId) is { } error)
            throw new RpcException(new Status(StatusCode.InvalidArgument, error));
        if (request.PageSize is < 0 or > MaxPageSize)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"page_size must be between 1 and {MaxPageSize} (0 for the default, {DefaultPageSize})"));
        var pageSize = request.PageSize == 0 ? DefaultPageSize : request.PageSize;
        var before = request.PageToken.Length == 0 ? (Guid?)null : ParsePageToken(request.PageToken);

        // One row more than the page tells whether another page follows.
        var orders = await store.ListAsync(request.CustomerId, before, pageSize + 1, context.CancellationToken);
        var response = new ListOrdersResponse();
        response.Orders.AddRange(orders.Take(pageSize).Select(ToContract));
        if (orders.Count > pageSize)
            response.NextPageToken = PageToken.Encode(orders[pageSize - 1].OrderId);
        return response;
    }

    public override async Task<Order> CancelOrder(CancelOrderRequest request, ServerCallContext context)
    {
        var orderId = ParseOrderId(request.OrderId);
        var customerId = OptionalCustomerId(request.CustomerId);
        if (request.Reason.Length > 256)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "reason must be at most 256 characters"));
        var cancellationToken = context.CancellationToken;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Locked, so that a saga step or the timeout sweep cannot move the order between the decision and its commit.
        var order = await store.LockAsync(transaction, orderId, cancellationToken);
        if (order is null || (customerId is not null && order.CustomerId != customerId))
            throw NotFound(request.OrderId);
        var change = order.CancelByCustomer(request.Reason);
        await store.SaveAsync(transaction, [change], cancellationToken);
        await store.WriteEventsAsync(transaction, OutgoingEvent.From(change.Events), cancellationToken);
        var cancelled = await store.GetAsync(transaction, orderId, cancellationToken);
        await outbox.CommitAsync(transaction, cancellationToken);
        return ToContract(cancelled);
    }

    private static PlaceOrderResponse Existing(ExistingOrder existing) => existing.SameRequest
        ? new PlaceOrderResponse { OrderId = existing.OrderId.ToString(), Status = ToContract(existing.Status), Created = false }
        : throw new RpcException(new Status(StatusCode.AlreadyExists, "idempotency key already used with a different request"));

    private static Guid ParseOrderId(string orderId) => Guid.TryParseExact(orderId, "D", out var id)
        ? id
        : throw new RpcException(new Status(StatusCode.InvalidArgument, "order_id must be a UUID such as 0190a5c2-7f3e-7d4a-9c1b-2f5e8a6b4c3d"));

    private static string? OptionalCustomerId(string customerId)
    {
        if (customerId.Length == 0)
            return null;
        return PlaceOrderValidator.ValidateCustomerId(customerId) is { } error
            ? throw new RpcException(new Status(StatusCode.InvalidArgument, error))
            : customerId;
    }

    private static RpcException NotFound(string orderId) => new(new Status(StatusCode.NotFound, $"order {orderId} not found"));

    private static Guid ParsePageToken(string token) => PageToken.TryDecode(token, out Guid lastOrderId)
        ? lastOrderId
        : throw new RpcException(new Status(StatusCode.InvalidArgument, "page_token is not a token this service returned"));

    private static OrderStatus ToContract(DomainStatus status) => status switch
    {
        DomainStatus.Pending => OrderStatus.Pending,
        DomainStatus.Confirmed => OrderStatus.Confirmed,
        DomainStatus.Cancelled => OrderStatus.Cancelled,
        _ => OrderStatus.Unspecified,
    };

    private static Order ToContract(OrderRecord order)
    {
        var result = new Order
        {
            OrderId = order.OrderId.ToString(),
            CustomerId = order.CustomerId,
            Status = ToContract(order.Status),
            TotalMinor = order.TotalMinor,
            Currency = order.Currency,
            CancellationReason = order.CancellationReason ?? "",
            CreatedAt = Timestamp.FromDateTime(order.CreatedAt),
            UpdatedAt = Timestamp.FromDateTime(order.UpdatedAt),
        };
        result.Lines.AddRange(order.Lines.Select(line => new OrderLine
        {
            Sku = line.Sku,
            Name = line.Name,
            Quantity = line.Quantity,
            UnitPriceMinor = line.UnitPriceMinor,
            LineTotalMinor = line.LineTotalMinor,
        }));
        result.Timeline.AddRange(order.Timeline.Select(entry => new TimelineEntry
        {
            Step = entry.Step,
            Detail = entry.Detail,
            At = Timestamp.FromDateTime(entry.At),
        }));
        return result;
    }

    [LoggerMessage(LogLevel.Information, "Placed order {OrderId} for customer {CustomerId}: {TotalMinor} {Currency}")]
    private static partial void LogPlaced(ILogger logger, Guid orderId, string customerId, long totalMinor, string currency);
}
