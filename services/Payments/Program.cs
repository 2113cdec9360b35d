using Checkout.Payments.Api;
using Checkout.Payments.Data;
using Checkout.Payments.Events;
using Checkout.Payments.Provider;
using Checkout.ServiceDefaults.Grpc;
using Checkout.ServiceDefaults.Messaging;
using Checkout.ServiceDefaults.Postgres;
using Checkout.ServiceDefaults.Resilience;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddNpgsqlDataSource("paymentsdb");
builder.AddKafkaMessaging()
    .AddOutbox()
    .AddConsumer<PaymentEventsHandler>(PaymentEventsHandler.OrdersTopic, PaymentEventsHandler.InventoryTopic);
builder.Services.Configure<StandardResilienceOptions>(PaymentGateway.OptionsName, builder.Configuration.GetSection(PaymentGateway.SectionName));
builder.AddSimulatedPaymentProvider("paymentsdb");
builder.Services.AddSingleton<PaymentGateway>();
builder.Services.AddSingleton<PaymentStore>();
builder.Services.AddSingleton<PaymentsApi>();
builder.Services.AddGrpc();

var app = builder.Build();
app.MapPaymentsApi();
app.MapGrpcHealthChecks();
app.MapDefaultEndpoints();

await app.MigrateDatabaseAsync(typeof(Program).Assembly);
await app.RunAsync();
