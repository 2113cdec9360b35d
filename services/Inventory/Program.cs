using Checkout.Contracts;
using Checkout.Inventory.Api;
using Checkout.Inventory.Data;
using Checkout.Inventory.Events;
using Checkout.ServiceDefaults.Correlation;
using Checkout.ServiceDefaults.Grpc;
using Checkout.ServiceDefaults.Messaging;
using Checkout.ServiceDefaults.Postgres;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGrpcServiceDefaults();
builder.AddServiceDatabase(DatabaseNames.Inventory);
builder.AddKafkaMessaging(messaging => messaging.Topics.Add(Topics.Inventory))
    .AddOutbox()
    .AddConsumer<OrdersTopicHandler>(Topics.Orders);
builder.Services.AddSingleton<StockRepository>();

var app = builder.Build();
app.UseCorrelationId();
app.MapGrpcService<InventoryApi>();
app.MapGrpcHealthChecksService();
app.MapDefaultEndpoints();

await app.MigrateDatabaseAsync(typeof(Program).Assembly);
await app.RunAsync();
