using Checkout.Inventory.Api;
using Checkout.Inventory.Data;
using Checkout.Inventory.Events;
using Checkout.ServiceDefaults.Grpc;
using Checkout.ServiceDefaults.Messaging;
using Checkout.ServiceDefaults.Postgres;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddNpgsqlDataSource("inventorydb");
builder.AddKafkaMessaging()
    .AddOutbox()
    .AddConsumer<OrderEventsHandler>(OrderEventsHandler.Topic);
builder.Services.AddSingleton<StockRepository>();
builder.Services.AddSingleton<InventoryApi>();
builder.Services.AddGrpc();

var app = builder.Build();
app.MapInventoryApi();
app.MapGrpcHealthChecks();
app.MapDefaultEndpoints();

await app.MigrateDatabaseAsync(typeof(Program).Assembly);
await app.RunAsync();
