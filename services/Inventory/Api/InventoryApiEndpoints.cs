using Checkout.Contracts.Inventory.V1;
using Checkout.ServiceDefaults.Grpc;

namespace Checkout.Inventory.Api;

public static class InventoryApiEndpoints
{
    /// <summary>Serves checkout.inventory.v1.Inventory with <see cref="InventoryApi"/>.</summary>
    public static IEndpointConventionBuilder MapInventoryApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.ServiceProvider.GetRequiredService<InventoryApi>();
        return endpoints.MapGrpcService(InventoryReflection.Descriptor.FindService("Inventory"), service => service
            .MapUnary<GetStockRequest, GetStockResponse>("GetStock", api.GetStockAsync)
            .MapUnary<RestockRequest, StockLevel>("Restock", api.RestockAsync));
    }
}
