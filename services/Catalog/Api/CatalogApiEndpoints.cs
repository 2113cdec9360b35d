using Checkout.Contracts.Catalog.V1;
using Checkout.ServiceDefaults.Grpc;
using ContractProduct = Checkout.Contracts.Catalog.V1.Product;

namespace Checkout.Catalog.Api;

public static class CatalogApiEndpoints
{
    /// <summary>Serves checkout.catalog.v1.Catalog with <see cref="CatalogApi"/>.</summary>
    public static IEndpointConventionBuilder MapCatalogApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.ServiceProvider.GetRequiredService<CatalogApi>();
        return endpoints.MapGrpcService(CatalogReflection.Descriptor.FindService("Catalog"), service => service
            .MapUnary<ListProductsRequest, ListProductsResponse>("ListProducts", api.ListProductsAsync)
            .MapUnary<GetProductRequest, ContractProduct>("GetProduct", api.GetProductAsync)
            .MapUnary<PriceItemsRequest, PriceItemsResponse>("PriceItems", api.PriceItemsAsync));
    }
}
