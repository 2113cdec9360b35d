using Checkout.Catalog.Data;
using Checkout.Catalog.Domain;
using Checkout.Contracts;
using Checkout.Contracts.Catalog.V1;
using Checkout.ServiceDefaults.Grpc;
using Grpc.Core;
using ContractProduct = Checkout.Contracts.Catalog.V1.Product;

namespace Checkout.Catalog.Api;

/// <summary>The gRPC service checkout.catalog.v1.Catalog: validation at the edge, mapping to and from the contract.</summary>
public sealed class CatalogApi(ProductRepository products) : Contracts.Catalog.V1.Catalog.CatalogBase
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 100;
    public const int MaxPricedSkus = 100;

    public override async Task<ListProductsResponse> ListProducts(ListProductsRequest request, ServerCallContext context)
    {
        var pageSize = request.PageSize == 0 ? DefaultPageSize : request.PageSize;
        if (pageSize is < 1 or > MaxPageSize)
            throw InvalidArgument($"page_size must be between 1 and {MaxPageSize} (0 means {DefaultPageSize}).");
        var afterSku = "";
        if (request.PageToken.Length > 0)
        {
            if (!PageToken.TryDecode(request.PageToken, out string lastSku) || !Sku.IsValid(lastSku))
                throw InvalidArgument("page_token is not a token this service issued.");
            afterSku = lastSku;
        }

        // One row more than the page tells whether another page follows.
        var page = await products.ListAsync(afterSku, pageSize + 1, context.CancellationToken);
        var response = new ListProductsResponse();
        foreach (var product in page.Take(pageSize))
            response.Products.Add(ToContract(product));
        if (page.Count > pageSize)
            response.NextPageToken = PageToken.Encode(page[pageSize - 1].Sku);
        return response;
    }

    public override async Task<ContractProduct> GetProduct(GetProductRequest request, ServerCallContext context)
    {
        ValidateSku(request.Sku, "sku");
        var found = await products.FindAsync([request.Sku], context.CancellationToken);
        if (found.Count == 0)
            throw new RpcException(new Status(StatusCode.NotFound, $"unknown SKU: {request.Sku}"));
        return ToContract(found[0]);
    }

    /// <summary>Prices the requested SKUs, answering in request order; NOT_FOUND names every unknown SKU.</summary>
    public override async Task<PriceItemsResponse> PriceItems(PriceItemsRequest request, ServerCallContext context)
    {
        if (request.Skus.Count is 0 or > MaxPricedSkus)
            throw InvalidArgument($"skus must hold between 1 and {MaxPricedSkus} SKUs.");
        var skus = new string[request.Skus.Count];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < skus.Length; i++)
        {
            var sku = request.Skus[i];
            ValidateSku(sku, $"skus[{i}]");
            if (!seen.Add(sku))
                throw InvalidArgument($"skus[{i}] repeats SKU {sku}.");
            skus[i] = sku;
        }

        var found = (await products.FindAsync(skus, context.CancellationToken)).ToDictionary(p => p.Sku, StringComparer.Ordinal);
        var unknown = skus.Where(sku => !found.ContainsKey(sku)).ToList();
        if (unknown.Count > 0)
            throw new RpcException(new Status(StatusCode.NotFound, $"unknown SKU(s): {string.Join(", ", unknown)}"));
        var response = new PriceItemsResponse();
        foreach (var sku in skus)
            response.Products.Add(ToContract(found[sku]));
        return response;
    }

    private static void ValidateSku(string sku, string field)
    {
        if (sku.Length == 0)
            throw InvalidArgument($"{field} is required.");
        if (!Sku.IsValid(sku))
            throw InvalidArgument($"{field} {Sku.Rule}.");
    }

    private static RpcException InvalidArgument(string message) => new(new Status(StatusCode.InvalidArgument, message));

    private static ContractProduct ToContract(Domain.Product product) => new()
    {
        Sku = product.Sku,
        Name = product.Name,
        Description = product.Description,
        UnitPriceMinor = product.UnitPriceMinor,
        Currency = product.Currency,
    };
}
