using Checkout.Gateway.Auth;
using Checkout.Gateway.Backends;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Checkout.Gateway.Api;

/// <summary>/api/admin: operations for the shop's staff; a token with role "admin" is required (else 403).</summary>
public static class AdminApi
{
    public static void MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapApiGroup("/api/admin", "Admin")
            .RequireAuthorization(JwtBearerAuthentication.AdminPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        admin.MapPost("/stock/{sku}", RestockAsync)
            .WithName("Restock")
            .WithSummary("Adds units to a SKU's available stock.");
    }

    private static async Task<Results<Ok<StockLevelResponse>, ValidationProblem>> RestockAsync(
        string sku, RestockBody body, ServiceClients services, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (RequestValidation.SkuError(sku) is { } skuError)
            errors["sku"] = [skuError];
        if (body.Quantity is not (>= 1 and <= RequestValidation.MaxRestockQuantity))
            errors["quantity"] = [$"must be between 1 and {RequestValidation.MaxRestockQuantity}"];
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        var level = await services.RestockAsync(sku, body.Quantity!.Value, cancellationToken);
        return TypedResults.Ok(new StockLevelResponse(level.Sku, level.Available, level.Reserved, level.Sold));
    }
}
