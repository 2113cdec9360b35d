using Checkout.Notifications.Api;
using Checkout.Notifications.Data;
using Checkout.Notifications.Events;
using Checkout.ServiceDefaults.Grpc;
using Checkout.ServiceDefaults.Messaging;
using Checkout.ServiceDefaults.Postgres;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddNpgsqlDataSource("notificationsdb");
builder.AddKafkaMessaging()
    .AddConsumer<OrderEventsHandler>(OrderEventsHandler.Topic);
builder.Services.AddSingleton<NotificationRepository>();
builder.Services.AddSingleton<NotificationsApi>();
builder.Services.AddGrpc();

var app = builder.Build();
app.MapNotificationsApi();
app.MapGrpcHealthChecks();
app.MapDefaultEndpoints();

await app.MigrateDatabaseAsync(typeof(Program).Assembly);
await app.RunAsync();
