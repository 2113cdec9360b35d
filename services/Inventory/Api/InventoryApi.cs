using Checkout.Contracts;
using Checkout.Contracts.Inventory.V1;
using Checkout.Inventory.Data;
using Checkout.Inventory.Domain;
using Grpc.Core;
using ContractStockLevel = Checkout.Contracts.Inventory.V1.StockLevel;

namespace Checkout.Inventory.Api;

/// <summary>The gRPC service checkout.inventory.v1.Inventory: validation at the edge, mapping to and from the contract.</summary>
public sealed partial class InventoryApi(StockRepository stock, ILogger<InventoryApi> logger) : Contracts.Inventory.V1.Inventory.InventoryBase
{
    public const int MaxRequestedSkus = 100;
    public const int MaxRestockQuantity = 1_000_000;

    /// <summary>The stock of the requested SKUs in request order, or of every SKU in SKU order; NOT_FOUND names every unknown SKU.</summary>
    public override async Task<GetStockResponse> GetStock(GetStockRequest request, ServerCallContext context)
    {
        var response = new GetStockResponse();
        if (request.Skus.Count == 0)
        {
            foreach (var level in await stock.GetAllAsync(context.CancellationToken))
                response.Levels.Add(ToContract(level));
            return response;
        }

        if (request.Skus.Count > MaxRequestedSkus)
            throw InvalidArgument($"skus must hold at most {MaxRequestedSkus} SKUs (none for all).");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Skus.Count; i++)
        {
            ValidateSku(request.Skus[i], $"skus[{i}]");
            if (!seen.Add(request.Skus[i]))
                throw InvalidArgument($"skus[{i}] repeats SKU {request.Skus[i]}.");
        }

        var levels = (await stock.GetAsync([.. request.Skus], context.CancellationToken)).ToDictionary(level => level.Sku, StringComparer.Ordinal);
        var unknown = request.Skus.Where(sku => !levels.ContainsKey(sku)).ToList();
        if (unknown.Count > 0)
            throw new RpcException(new Status(StatusCode.NotFound, $"unknown SKU(s): {string.Join(", ", unknown)}"));
        foreach (var sku in request.Skus)
            response.Levels.Add(ToContract(levels[sku]));
        return response;
    }

    public override async Task<ContractStockLevel> Restock(RestockRequest request, ServerCallContext context)
    {
        ValidateSku(request.Sku, "sku");
        if (request.Quantity is < 1 or > MaxRestockQuantity)
            throw InvalidArgument($"quantity must be between 1 and {MaxRestockQuantity}.");
        var level = await stock.RestockAsync(request.Sku, request.Quantity, context.CancellationToken);
        LogRestocked(logger, level.Sku, request.Quantity, level.Available);
        return ToContract(level);
    }

    private static void ValidateSku(string sku, string field)
    {
        if (sku.Length == 0)
            throw InvalidArgument($"{field} is required.");
        if (!Sku.IsValid(sku))
            throw InvalidArgument($"{field} {Sku.Rule}.");
    }

    private static RpcException InvalidArgument(string message) => new(new Status(StatusCode.InvalidArgument, message));

    private static ContractStockLevel ToContract(Domain.StockLevel level) => new()
    {
        Sku = level.Sku,
        Available = level.Available,
        Reserved = level.Reserved,
        Sold = level.Sold,
    };

    [LoggerMessage(LogLevel.Information, "Restocked {Sku} with {Quantity} unit(s): {Available} available")]
    private static partial void LogRestocked(ILogger logger, string sku, int quantity, long available);
}
