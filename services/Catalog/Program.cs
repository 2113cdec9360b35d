using Checkout.Catalog.Api;
using Checkout.Catalog.Data;
using Checkout.ServiceDefaults.Grpc;
using Checkout.ServiceDefaults.Postgres;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddNpgsqlDataSource("catalogdb");
builder.Services.AddSingleton<ProductRepository>();
builder.Services.AddSingleton<CatalogApi>();
builder.Services.AddGrpc();

var app = builder.Build();
app.MapCatalogApi();
app.MapGrpcHealthChecks();
app.MapDefaultEndpoints();

await app.MigrateDatabaseAsync(typeof(Program).Assembly);
await app.RunAsync();
