using Checkout.Orders;
using Checkout.Orders.Api;
using Checkout.Orders.Data;
using Checkout.Orders.Events;
using Checkout.ServiceDefaults.Grpc;
using Checkout.ServiceDefaults.Messaging;
using Checkout.ServiceDefaults.Postgres;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddNpgsqlDataSource("ordersdb");
builder.AddKafkaMessaging()
    .AddOutbox()
    .AddConsumer<SagaEventsHandler>(SagaEventsHandler.InventoryTopic, SagaEventsHandler.PaymentsTopic);
builder.Services.AddOptions<OrdersOptions>()
    .Bind(builder.Configuration.GetSection(OrdersOptions.SectionName))
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddGrpcClient(CatalogPricing.ClientName, new Uri("http://catalog"));
builder.Services.AddSingleton<OrderStore>();
builder.Services.AddSingleton<CatalogPricing>();
builder.Services.AddSingleton<OrdersApi>();
builder.Services.AddHostedService<SagaTimeoutService>();
builder.Services.AddGrpc();

var app = builder.Build();
app.MapOrdersApi();
app.MapGrpcHealthChecks();
app.MapDefaultEndpoints();

await app.MigrateDatabaseAsync(typeof(Program).Assembly);
await app.RunAsync();
