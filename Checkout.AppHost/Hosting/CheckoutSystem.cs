using Checkout.AppHost.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Checkout.AppHost.Hosting;

/// <summary>Options of <see cref="CheckoutSystem"/>.</summary>
public sealed record CheckoutSystemOptions
{
    /// <summary>The repository's root folder (holding Checkout.sln); null to find it above the running assembly.</summary>
    public string? RepositoryRoot { get; init; }

    /// <summary>Extra configuration per service (by logical name), given through its environment; null removes a variable.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>> ServiceEnvironment { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string?>>();

    /// <summary>Logs of the infrastructure and of every service (category Checkout.AppHost.&lt;name&gt;).</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}

/// <summary>
/// The whole checkout system on this machine: an embedded PostgreSQL cluster with one database per service, an
/// embedded Kafka-protocol broker with the saga's topics, and the five services as child processes on free
/// 127.0.0.1 ports, wired to each other the way an Aspire host wires projects (connection strings and
/// services__name__http__0 endpoints). Everything it started stops with it, or with its process.
/// </summary>
public sealed class CheckoutSystem : IAsyncDisposable
{
    /// <summary>The services in start order: a service's references start before it.</summary>
    public static IReadOnlyList<ServiceDefinition> Definitions { get; } =
    [
        new("catalog", "services/Catalog/Checkout.Catalog.csproj", "catalogdb", References: []),
        new("inventory", "services/Inventory/Checkout.Inventory.csproj", "inventorydb", References: []),
        new("payments", "services/Payments/Checkout.Payments.csproj", "paymentsdb", References: []),
        new("notifications", "services/Notifications/Checkout.Notifications.csproj", "notificationsdb", References: []),
        new("orders", "services/Orders/Checkout.Orders.csproj", "ordersdb", References: ["catalog"]),
    ];

    /// <summary>The saga's topics; the embedded broker does not serve CreateTopics, so they are created here.</summary>
    public static IReadOnlyList<string> Topics { get; } = ["orders", "inventory", "payments"];

    public const int TopicPartitions = 6;

    /// <summary>
    /// Each service's connection pool limit. The services share one cluster (max_connections 100, 3 of them reserved
    /// for superusers); with Npgsql's default of 100 per pool, a burst on one service would take every connection and
    /// the others would fail with "too many clients already". Five pools of 16 fit, and 16 is plenty on a few cores.
    /// </summary>
    public const int MaxPoolSizePerService = 16;

    private readonly Dictionary<string, ServiceProcess> _services;

    private CheckoutSystem(EmbeddedPostgres postgres, EmbeddedKafka kafka, Dictionary<string, ServiceProcess> services)
    {
        Postgres = postgres;
        Kafka = kafka;
        _services = services;
    }

    public EmbeddedPostgres Postgres { get; }

    public EmbeddedKafka Kafka { get; }

    /// <summary>The running services by logical name.</summary>
    public IReadOnlyDictionary<string, ServiceProcess> Services => _services;

    /// <summary>The service named <paramref name="name"/> (catalog, orders, inventory, payments, notifications).</summary>
    public ServiceProcess this[string name] => _services.TryGetValue(name, out var service)
        ? service
        : throw new KeyNotFoundException($"No service named '{name}'; the system runs {string.Join(", ", _services.Keys)}.");

    /// <summary>Starts the infrastructure and every service, and returns once all of them answer /health.</summary>
    public static async Task<CheckoutSystem> StartAsync(CheckoutSystemOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new CheckoutSystemOptions();
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var root = options.RepositoryRoot ?? FindRepositoryRoot();
        var postgres = await EmbeddedPostgres.StartAsync(
            new EmbeddedPostgresOptions { Logger = loggerFactory.CreateLogger("Checkout.AppHost.postgres") }, cancellationToken);
        EmbeddedKafka? kafka = null;
        var services = new Dictionary<string, ServiceProcess>(StringComparer.Ordinal);
        try
        {
            kafka = EmbeddedKafka.Start();
            foreach (var topic in Topics)
            {
                kafka.CreateTopic(topic, TopicPartitions);
                kafka.CreateTopic(topic + ".dlq", TopicPartitions);
            }

            await Task.WhenAll(Definitions.Select(definition => postgres.CreateDatabaseAsync(definition.Database, cancellationToken)));

            // Ports first: a service's environment names the endpoints of the services it calls.
            foreach (var definition in Definitions)
            {
                services[definition.Name] = new ServiceProcess(new ServiceProcessOptions
                {
                    Name = definition.Name,
                    ProjectPath = Path.Combine(root, definition.ProjectPath),
                    Environment = EnvironmentOf(definition, postgres, kafka, services, options),
                    Logger = loggerFactory.CreateLogger("Checkout.AppHost." + definition.Name),
                });
            }

            // Services without references start together; each of the others once what it references is healthy.
            var started = new Dictionary<string, Task>(StringComparer.Ordinal);
            foreach (var definition in Definitions)
            {
                started[definition.Name] = StartAfterAsync(
                    services[definition.Name], definition.References.Select(name => started[name]), cancellationToken);
            }

            await Task.WhenAll(started.Values);
            return new CheckoutSystem(postgres, kafka, services);
        }
        catch
        {
            await StopAllAsync(postgres, kafka, services.Values);
            throw;
        }
    }

    private static async Task StartAfterAsync(ServiceProcess service, IEnumerable<Task> references, CancellationToken cancellationToken)
    {
        await Task.WhenAll(references);
        await service.StartAsync(cancellationToken);
    }

    /// <summary>A connection string to the database of service <paramref name="name"/>.</summary>
    public string DatabaseConnectionString(string name) =>
        Postgres.GetConnectionString(Definitions.Single(definition => definition.Name == name).Database);

    public async ValueTask DisposeAsync() => await StopAllAsync(Postgres, Kafka, _services.Values);

    private static async Task StopAllAsync(EmbeddedPostgres postgres, EmbeddedKafka? kafka, IEnumerable<ServiceProcess> services)
    {
        // Services first: they hold connections to the database and the broker.
        await Task.WhenAll(services.Select(service => service.DisposeAsync().AsTask()));
        kafka?.Dispose();
        await postgres.DisposeAsync();
    }

    private static Dictionary<string, string?> EnvironmentOf(
        ServiceDefinition definition, EmbeddedPostgres postgres, EmbeddedKafka kafka,
        Dictionary<string, ServiceProcess> services, CheckoutSystemOptions options)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [$"ConnectionStrings__{definition.Database}"] = new NpgsqlConnectionStringBuilder(postgres.GetConnectionString(definition.Database))
            {
                MaxPoolSize = MaxPoolSizePerService,
            }.ConnectionString,
            ["ConnectionStrings__kafka"] = kafka.BootstrapServers,
        };
        foreach (var (name, value) in EmbeddedKafka.ClientEnvironment)
        {
            environment[name] = value;
        }

        foreach (var reference in definition.References)
        {
            environment[$"services__{reference}__http__0"] = services[reference].Endpoint.ToString().TrimEnd('/');
        }

        if (options.ServiceEnvironment.TryGetValue(definition.Name, out var extra))
        {
            foreach (var (name, value) in extra)
            {
                environment[name] = value;
            }
        }

        return environment;
    }

    /// <summary>The folder holding Checkout.sln, above the running assembly.</summary>
    public static string FindRepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Checkout.sln")))
            {
                return folder.FullName;
            }
        }

        throw new EmbeddedInfrastructureException(
            $"Checkout.sln was not found above '{AppContext.BaseDirectory}'; set CheckoutSystemOptions.RepositoryRoot.");
    }
}

/// <summary>A service of the system: logical name, project (relative to the repository root), database, and the services it calls.</summary>
public sealed record ServiceDefinition(string Name, string ProjectPath, string Database, IReadOnlyList<string> References);
