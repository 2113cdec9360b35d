using Checkout.Contracts.Catalog.V1;
using Checkout.Orders.Domain;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Checkout.Orders.Clients;

/// <summary>
/// Prices order lines through Catalog over gRPC, the authority on prices. The call has a deadline; the client's
/// resilience pipeline (AddGrpcClient) retries UNAVAILABLE within it. Any failure to get an answer is UNAVAILABLE
/// for our caller; unknown SKUs are NOT_FOUND naming them.
/// </summary>
public sealed partial class CatalogPricing(
    Catalog.CatalogClient catalog,
    IOptions<OrdersOptions> options,
    ILogger<CatalogPricing> logger)
{
    /// <summary>The lines with Catalog's names and unit prices, in request order, and their one currency.</summary>
    public async Task<(IReadOnlyList<OrderLine> Lines, string Currency)> PriceAsync(IReadOnlyList<(string Sku, int Quantity)> lines, CancellationToken cancellationToken)
    {
        var request = new PriceItemsRequest();
        request.Skus.AddRange(lines.Select(line => line.Sku));
        PriceItemsResponse response;
        try
        {
            response = await catalog.PriceItemsAsync(request,
                deadline: DateTime.UtcNow + options.Value.CatalogDeadline, cancellationToken: cancellationToken);
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.NotFound)
        {
            throw new RpcException(new Status(StatusCode.NotFound, exception.Status.Detail));
        }
        catch (RpcException exception) when (exception.StatusCode != StatusCode.Cancelled)
        {
            LogCatalogUnavailable(logger, exception.StatusCode, exception.Status.Detail);
            throw new RpcException(new Status(StatusCode.Unavailable, "catalog is unavailable, try again"));
        }

        var products = response.Products.ToDictionary(product => product.Sku, StringComparer.Ordinal);
        var unknown = lines.Where(line => !products.ContainsKey(line.Sku)).Select(line => line.Sku).ToList();
        if (unknown.Count > 0)
            throw new RpcException(new Status(StatusCode.NotFound, $"unknown SKU(s): {string.Join(", ", unknown)}"));
        var currencies = lines.Select(line => products[line.Sku].Currency).Distinct(StringComparer.Ordinal).ToList();
        if (currencies.Count != 1)
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"the lines are priced in several currencies ({string.Join(", ", currencies)}): place one order per currency"));
        return (lines.Select(line => new OrderLine(line.Sku, products[line.Sku].Name, line.Quantity, products[line.Sku].UnitPriceMinor)).ToList(),
            currencies[0]);
    }

    [LoggerMessage(LogLevel.Warning, "Catalog could not price an order: {StatusCode} {Detail}")]
    private static partial void LogCatalogUnavailable(ILogger logger, StatusCode statusCode, string detail);
}
