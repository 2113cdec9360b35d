using Checkout.Contracts;
using Checkout.Payments.Api;
using Checkout.Payments.Data;
using Checkout.Payments.Events;
using Checkout.Payments.Provider;
using Checkout.ServiceDefaults.Correlation;
using Checkout.ServiceDefaults.Grpc;
using Checkout.ServiceDefaults.Messaging;
using Checkout.ServiceDefaults.Postgres;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGrpcServiceDefaults();
builder.AddServiceDatabase(DatabaseNames.Payments);
builder.AddKafkaMessaging(messaging => messaging.Topics.Add(Topics.Payments))
    .AddOutbox()
    .AddConsumer<OrdersAndInventoryTopicsHandler>(Topics.Orders, Topics.Inventory);
builder.Services.AddResilienceEnricher();
PaymentGateway.AddPaymentGateway(builder);
builder.AddSimulatedPaymentProvider(DatabaseNames.Payments);
builder.Services.AddSingleton<PaymentStore>();

var app = builder.Build();
app.UseCorrelationId();
app.MapGrpcService<PaymentsApi>();
app.MapGrpcHealthChecksService();
app.MapDefaultEndpoints();

await app.MigrateDatabaseAsync(typeof(Program).Assembly);
await app.RunAsync();
