using Checkout.Catalog.Api;
using Checkout.Catalog.Data;
using Checkout.Contracts;
using Checkout.ServiceDefaults.Correlation;
using Checkout.ServiceDefaults.Grpc;
using Checkout.ServiceDefaults.Postgres;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGrpcServiceDefaults();
builder.AddServiceDatabase(DatabaseNames.Catalog);
builder.Services.AddSingleton<ProductRepository>();

var app = builder.Build();
app.UseCorrelationId();
app.MapGrpcService<CatalogApi>();
app.MapGrpcHealthChecksService();
app.MapDefaultEndpoints();

await app.MigrateDatabaseAsync(typeof(Program).Assembly);
await app.RunAsync();
