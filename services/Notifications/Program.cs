using Checkout.Contracts;
using Checkout.Notifications.Api;
using Checkout.Notifications.Data;
using Checkout.Notifications.Events;
using Checkout.ServiceDefaults.Correlation;
using Checkout.ServiceDefaults.Grpc;
using Checkout.ServiceDefaults.Messaging;
using Checkout.ServiceDefaults.Postgres;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGrpcServiceDefaults();
builder.AddServiceDatabase(DatabaseNames.Notifications);
builder.AddKafkaMessaging()
    .AddConsumer<OrdersTopicHandler>(Topics.Orders);
builder.Services.AddSingleton<NotificationRepository>();

var app = builder.Build();
app.UseCorrelationId();
app.MapGrpcService<NotificationsApi>();
app.MapGrpcHealthChecksService();
app.MapDefaultEndpoints();

await app.MigrateDatabaseAsync(typeof(Program).Assembly);
await app.RunAsync();
