using System.Security.Claims;
using Checkout.Contracts.Orders.V1;
using Checkout.Gateway.Aggregation;
using Checkout.Gateway.Auth;
using Checkout.Gateway.Backends;
using Grpc.Core;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Checkout.Gateway.Api;

/// <summary>
/// /api/orders: place (202 + Location, idempotent by Idempotency-Key), list the caller's, read one aggregated view,
/// cancel. Every route needs a bearer token; the token's subject is the customer, and another customer's order is
/// answered like a missing one (404).
/// </summary>
public static class OrdersApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public static void MapOrdersApi(this IEndpointRouteBuilder app)
    {
        var orders = app.MapApiGroup("/api/orders", "Orders")
            .RequireAuthorization()
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        orders.MapPost("/", PlaceAsync)
            .WithName("PlaceOrder")
            .WithSummary("Places an order; poll its Location until status is confirmed or cancelled.")
            .WithDescription("The Idempotency-Key header is required: a retry with the same key and body gets the same 202; the same key with another body gets 422.")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        orders.MapGet("/", ListAsync)
            .WithName("ListOrders")
            .WithSummary("The caller's orders, newest first.");
        orders.MapGet("/{id}", GetAsync)
            .WithName("GetOrder")
            .WithSummary("The order with its saga timeline, payment and notifications; parts whose service is down are named in missing.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        orders.MapPost("/{id}/cancel", CancelAsync)
            .WithName("CancelOrder")
            .WithSummary("Cancels a pending or confirmed order (stock released, payment refunded); a cancelled order is returned as is.")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<Results<Accepted<OrderAccepted>, ValidationProblem, ProblemHttpResult>> PlaceAsync(
        [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey, PlaceOrderBody body, ClaimsPrincipal user,
        ServiceClients services, CancellationToken cancellationToken)
    {
        var errors = RequestValidation.PlaceOrder(body, idempotencyKey);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        var request = new PlaceOrderRequest { CustomerId = user.CustomerId(), PaymentToken = body.PaymentToken, IdempotencyKey = idempotencyKey };
        request.Lines.AddRange(body.Lines!.Select(line => new OrderLineRequest { Sku = line.Sku, Quantity = line.Quantity!.Value }));
        try
        {
            var placed = await services.PlaceOrderAsync(request, cancellationToken);
            return TypedResults.Accepted($"/api/orders/{placed.OrderId}", new OrderAccepted(placed.OrderId));
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.AlreadyExists)
        {
            return TypedResults.Problem(
                $"The Idempotency-Key '{idempotencyKey}' was already used with a different request; use a new key for a new order.",
                statusCode: StatusCodes.Status422UnprocessableEntity);
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.NotFound)
        {
            // The request is well-formed but names products that do not exist.
            return TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]> { ["lines"] = [exception.Status.Detail] })
            {
                Status = StatusCodes.Status422UnprocessableEntity,
                Detail = exception.Status.Detail,
            });
        }
    }

    private static async Task<Results<Ok<OrderPage>, ValidationProblem>> ListAsync(
        int? pageSize, string? pageToken, ClaimsPrincipal user, ServiceClients services, CancellationToken cancellationToken)
    {
        var errors = RequestValidation.Page(pageSize, pageToken);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        var page = await services.ListOrdersAsync(user.CustomerId(), pageSize ?? 0, pageToken ?? "", cancellationToken);
        return TypedResults.Ok(new OrderPage([.. page.Orders.Select(OrderResponse.From)], page.NextPageToken.Length == 0 ? null : page.NextPageToken));
    }

    private static async Task<Results<Ok<OrderView>, ValidationProblem, ProblemHttpResult>> GetAsync(
        string id, ClaimsPrincipal user, OrderViewAggregator aggregator, CancellationToken cancellationToken)
    {
        var errors = RequestValidation.OrderId(id);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        var view = await aggregator.GetAsync(id, user.CustomerId(), cancellationToken);
        return view is null
            ? TypedResults.Problem($"order {id} not found", statusCode: StatusCodes.Status404NotFound)
            : TypedResults.Ok(view);
    }

    private static async Task<Results<Ok<OrderResponse>, ValidationProblem>> CancelAsync(
        string id, ClaimsPrincipal user, ServiceClients services, CancellationToken cancellationToken)
    {
        var errors = RequestValidation.OrderId(id);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        // NOT_FOUND (missing, or another customer's) becomes 404 through the exception handler.
        return TypedResults.Ok(OrderResponse.From(await services.CancelOrderAsync(id, user.CustomerId(), cancellationToken)));
    }
}
