// The map of the Checkout system: what runs, what each service is given, and what it waits for.
// Run it with eng/run.sh (or: dotnet run --project Checkout.AppHost -c Release). Settings: Checkout.AppHost/README.md.
using Checkout.AppHost.Hosting;
using Checkout.Contracts;

var builder = CheckoutApplication.CreateBuilder(args);

// PostgreSQL: embedded (a private cluster, data kept in .data/postgres) unless Postgres:Mode=External.
var postgres = builder.AddPostgres("postgres");
var catalogDb = postgres.AddDatabase(DatabaseNames.Catalog);
var ordersDb = postgres.AddDatabase(DatabaseNames.Orders);
var inventoryDb = postgres.AddDatabase(DatabaseNames.Inventory);
var paymentsDb = postgres.AddDatabase(DatabaseNames.Payments);
var notificationsDb = postgres.AddDatabase(DatabaseNames.Notifications);

// Kafka: the in-process broker with the saga's topics unless Kafka:Mode=External.
var kafka = builder.AddKafka("kafka").WithTopics(partitions: 6, [.. Topics.All]);

// Catalog publishes and consumes no events: it needs its database only.
var catalog = builder.AddProject(ServiceNames.Catalog, "../services/Catalog/Checkout.Catalog.csproj")
    .AsHttp2Service()
    .WithReference(catalogDb)
    .WaitFor(catalogDb);

var inventory = builder.AddProject(ServiceNames.Inventory, "../services/Inventory/Checkout.Inventory.csproj")
    .AsHttp2Service()
    .WithReference(inventoryDb).WithReference(kafka)
    .WaitFor(inventoryDb).WaitFor(kafka);

var payments = builder.AddProject(ServiceNames.Payments, "../services/Payments/Checkout.Payments.csproj")
    .AsHttp2Service()
    .WithReference(paymentsDb).WithReference(kafka)
    .WaitFor(paymentsDb).WaitFor(kafka);

var notifications = builder.AddProject(ServiceNames.Notifications, "../services/Notifications/Checkout.Notifications.csproj")
    .AsHttp2Service()
    .WithReference(notificationsDb).WithReference(kafka)
    .WaitFor(notificationsDb).WaitFor(kafka);

// Orders prices every order through Catalog: it starts once Catalog is healthy.
var orders = builder.AddProject(ServiceNames.Orders, "../services/Orders/Checkout.Orders.csproj")
    .AsHttp2Service()
    .WithReference(ordersDb).WithReference(kafka).WithReference(catalog)
    .WaitFor(ordersDb).WaitFor(kafka).WaitFor(catalog);

// The public HTTP/JSON API in front of the five gRPC services (Development: POST /dev/token gives a test token).
builder.AddProject(ServiceNames.Gateway, "../services/Gateway/Checkout.Gateway.csproj")
    .WithReference(catalog).WithReference(orders).WithReference(inventory).WithReference(payments).WithReference(notifications)
    .WaitFor(catalog).WaitFor(orders).WaitFor(inventory).WaitFor(payments).WaitFor(notifications);

builder.Build().Run();
