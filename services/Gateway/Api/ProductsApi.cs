using Checkout.Gateway.Backends;
using Grpc.Core;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Checkout.Gateway.Api;

/// <summary>
/// GET /api/products and /api/products/{sku}: the catalogue (Catalog) with live availability (Inventory, one
/// GetStock call per answer). Public. When Inventory cannot answer, products come without availability and
/// "availability" is named in missing.
/// </summary>
public static partial class ProductsApi
{
    public const string AvailabilityPart = "availability";

    public static void MapProductsApi(this IEndpointRouteBuilder app)
    {
        var products = app.MapApiGroup("/api/products", "Products").AllowAnonymous();
        products.MapGet("/", ListAsync)
            .WithName("ListProducts")
            .WithSummary("A page of the catalogue, in SKU order, with the units available now.");
        products.MapGet("/{sku}", GetAsync)
            .WithName("GetProduct")
            .WithSummary("One product with the units available now.")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<Results<Ok<ProductPage>, ValidationProblem>> ListAsync(
        int? pageSize, string? pageToken, ServiceClients services, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var errors = RequestValidation.Page(pageSize, pageToken);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        var page = await services.ListProductsAsync(pageSize ?? 0, pageToken ?? "", cancellationToken);
        var available = await AvailabilityAsync(services, page.Products.Select(product => product.Sku).ToList(), loggers, cancellationToken);
        return TypedResults.Ok(new ProductPage(
            [.. page.Products.Select(p => new ProductSummary(p.Sku, p.Name, p.Description, p.UnitPriceMinor, p.Currency, available?.GetValueOrDefault(p.Sku)))],
            page.NextPageToken.Length == 0 ? null : page.NextPageToken,
            available is null ? [AvailabilityPart] : []));
    }

    private static async Task<Results<Ok<ProductDetail>, ValidationProblem>> GetAsync(
        string sku, ServiceClients services, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (RequestValidation.SkuError(sku) is { } error)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["sku"] = [error] });
        var availability = AvailabilityAsync(services, [sku], loggers, cancellationToken);
        Contracts.Catalog.V1.Product product;
        try
        {
            product = await services.GetProductAsync(sku, cancellationToken);
        }
        finally
        {
            await availability;
        }

        var available = await availability;
        return TypedResults.Ok(new ProductDetail(product.Sku, product.Name, product.Description, product.UnitPriceMinor, product.Currency,
            available?.GetValueOrDefault(sku), available is null ? [AvailabilityPart] : []));
    }

    /// <summary>Units available per SKU in one Inventory call; null when Inventory could not answer.</summary>
    private static async Task<IReadOnlyDictionary<string, long>?> AvailabilityAsync(
        ServiceClients services, IReadOnlyList<string> skus, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        // GetStock without SKUs means every SKU: an empty page needs no call.
        if (skus.Count == 0)
            return new Dictionary<string, long>();
        try
        {
            var stock = await services.GetStockAsync(skus, cancellationToken);
            return stock.Levels.ToDictionary(level => level.Sku, level => level.Available, StringComparer.Ordinal);
        }
        catch (RpcException exception)
        {
            // NOT_FOUND included: a product Inventory has no record of yet cannot say what is available.
            LogAvailabilityMissing(loggers.CreateLogger(typeof(ProductsApi).FullName!), exception.StatusCode, exception.Status.Detail);
            return null;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Products answered without availability: {StatusCode} {Detail}")]
    private static partial void LogAvailabilityMissing(ILogger logger, StatusCode statusCode, string detail);
}
