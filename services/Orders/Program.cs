using Checkout.Contracts;
using Checkout.Contracts.Catalog.V1;
using Checkout.Orders;
using Checkout.Orders.Api;
using Checkout.Orders.Clients;
using Checkout.Orders.Data;
using Checkout.Orders.Events;
using Checkout.Orders.Sweeps;
using Checkout.ServiceDefaults.Correlation;
using Checkout.ServiceDefaults.Grpc;
using Checkout.ServiceDefaults.Messaging;
using Checkout.ServiceDefaults.Postgres;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGrpcServiceDefaults();
builder.AddServiceDatabase(DatabaseNames.Orders);
builder.AddKafkaMessaging(messaging => messaging.Topics.Add(Topics.Orders))
    .AddOutbox()
    .AddConsumer<InventoryAndPaymentsTopicsHandler>(Topics.Inventory, Topics.Payments);
builder.Services.AddOptions<OrdersOptions>()
    .Bind(builder.Configuration.GetSection(OrdersOptions.SectionName))
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddGrpcServiceClient<Catalog.CatalogClient>(ServiceNames.Catalog);
builder.Services.AddSingleton<OrderStore>();
builder.Services.AddTransient<CatalogPricing>();
builder.Services.AddHostedService<SagaTimeoutSweep>();

var app = builder.Build();
app.UseCorrelationId();
app.MapGrpcService<OrdersApi>();
app.MapGrpcHealthChecksService();
app.MapDefaultEndpoints();

await app.MigrateDatabaseAsync(typeof(Program).Assembly);
await app.RunAsync();
