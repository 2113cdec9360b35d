// The map of the Checkout system: what runs, what each service is given, and what it waits for.
// Run it with `dotnet run --project Checkout.AppHost` (or eng/run.sh, which installs what is missing first); the
// dashboard's login URL is printed at start. Settings: Checkout.AppHost/README.md.
using Checkout.AppHost;
using Checkout.AppHost.Integrations.Kafka;
using Checkout.AppHost.Integrations.Postgres;
using Checkout.Contracts;

var builder = DistributedApplication.CreateBuilder(args);

// PostgreSQL: the machine's own server binaries, data kept in .data/postgres (Postgres:Mode=External: a server of
// yours from ConnectionStrings:postgres; in the published manifest: a container). One database per service.
var postgres = builder.AddPostgresServer("postgres");
var catalogDb = postgres.AddDatabase(DatabaseNames.Catalog);
var ordersDb = postgres.AddDatabase(DatabaseNames.Orders);
var inventoryDb = postgres.AddDatabase(DatabaseNames.Inventory);
var paymentsDb = postgres.AddDatabase(DatabaseNames.Payments);
var notificationsDb = postgres.AddDatabase(DatabaseNames.Notifications);

// Kafka: a Kafka-protocol broker inside this process with the saga's topics (Kafka:Mode=External: bootstrap servers
// from ConnectionStrings:kafka; in the published manifest: an apache/kafka container).
var kafka = builder.AddKafka("kafka", Topics.All);

// Each gRPC service serves gRPC on its "grpc" endpoint (HTTP/2) and /health and /alive on its "http" endpoint.
// Catalog publishes and consumes no events: it needs its database only.
var catalog = builder.AddProject<Projects.Checkout_Catalog>(ServiceNames.Catalog)
    .WithReference(catalogDb).WaitFor(catalogDb)
    .WithHttpHealthCheck("/health");

var inventory = builder.AddProject<Projects.Checkout_Inventory>(ServiceNames.Inventory)
    .WithReference(inventoryDb).WaitFor(inventoryDb)
    .WithReference(kafka).WaitFor(kafka)
    .WithHttpHealthCheck("/health");

var payments = builder.AddProject<Projects.Checkout_Payments>(ServiceNames.Payments)
    .WithReference(paymentsDb).WaitFor(paymentsDb)
    .WithReference(kafka).WaitFor(kafka)
    .WithHttpHealthCheck("/health");

var notifications = builder.AddProject<Projects.Checkout_Notifications>(ServiceNames.Notifications)
    .WithReference(notificationsDb).WaitFor(notificationsDb)
    .WithReference(kafka).WaitFor(kafka)
    .WithHttpHealthCheck("/health");

// Orders prices every order through Catalog: it starts once Catalog is healthy.
var orders = builder.AddProject<Projects.Checkout_Orders>(ServiceNames.Orders)
    .WithReference(ordersDb).WaitFor(ordersDb)
    .WithReference(kafka).WaitFor(kafka)
    .WithReference(catalog).WaitFor(catalog)
    .WithHttpHealthCheck("/health");

// The public HTTP/JSON API in front of the five gRPC services (Development: POST /dev/token gives a test token).
var gateway = builder.AddProject<Projects.Checkout_Gateway>(ServiceNames.Gateway)
    .WithReference(catalog).WithReference(orders).WithReference(inventory).WithReference(payments).WithReference(notifications)
    .WaitFor(catalog).WaitFor(orders).WaitFor(inventory).WaitFor(payments).WaitFor(notifications)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health")
    .WithTryItHint();

// A deployment's token signing key is a secret parameter (in development, appsettings.Development.json has one).
if (builder.ExecutionContext.IsPublishMode)
{
    gateway
        .WithEnvironment("Authentication__Jwt__SigningKeys__0__KeyId", "checkout-hs256")
        .WithEnvironment("Authentication__Jwt__SigningKeys__0__Algorithm", "HS256")
        .WithEnvironment("Authentication__Jwt__SigningKeys__0__Secret", builder.AddParameter("jwt-signing-key", secret: true));
}

builder.Build().Run();
