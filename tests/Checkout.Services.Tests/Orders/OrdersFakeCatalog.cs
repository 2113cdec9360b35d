using System.Net;
using Checkout.Contracts.Catalog.V1;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Checkout.Services.Tests.Orders;

/// <summary>
/// A real gRPC Catalog server (Grpc.AspNetCore over Kestrel h2c) with a fixed price list, which can be made
/// unreachable: while <see cref="Down"/> it aborts every connection, as a crashed or partitioned peer would.
/// </summary>
public sealed class OrdersFakeCatalog : IAsyncDisposable
{
    public static readonly Product[] Products =
    [
        new() { Sku = "SKU-1", Name = "Espresso cup", UnitPriceMinor = 1250, Currency = "EUR" },
        new() { Sku = "SKU-2", Name = "Milk jug", UnitPriceMinor = 899, Currency = "EUR" },
        new() { Sku = "SKU-USD", Name = "Imported kettle", UnitPriceMinor = 4000, Currency = "USD" },
    ];

    private readonly WebApplication _app;

    private OrdersFakeCatalog(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public volatile bool Down;

    public static async Task<OrdersFakeCatalog> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // No configuration: the test's output folder holds an appsettings.json of a referenced service (Orders' or
        // Payments'), whose Kestrel endpoints this server would otherwise listen on too.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var app = builder.Build();
        OrdersFakeCatalog? catalog = null;
        app.Use((context, next) =>
        {
            if (catalog!.Down)
            {
                context.Abort();
                return Task.CompletedTask;
            }
            return next(context);
        });
        app.MapGrpcService<FixedPriceList>();
        catalog = new OrdersFakeCatalog(app, await app.StartOnFreePortAsync(cancellationToken));
        return catalog;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    /// <summary>Prices from <see cref="Products"/>; NOT_FOUND names every unknown SKU, as Catalog's does.</summary>
    private sealed class FixedPriceList : Catalog.CatalogBase
    {
        public override Task<PriceItemsResponse> PriceItems(PriceItemsRequest request, ServerCallContext context)
        {
            var unknown = request.Skus.Where(sku => Products.All(p => p.Sku != sku)).ToList();
            if (unknown.Count > 0)
                throw new RpcException(new Status(StatusCode.NotFound, $"unknown SKU(s): {string.Join(", ", unknown)}"));
            var response = new PriceItemsResponse();
            response.Products.AddRange(request.Skus.Select(sku => Products.Single(p => p.Sku == sku)));
            return Task.FromResult(response);
        }
    }
}
