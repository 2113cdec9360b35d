using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Checkout.AppHost.Integrations.Kafka;
using Checkout.AppHost.Integrations.Postgres;
using Checkout.Contracts;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Checkout.Testing.AppHost;

/// <summary>
/// The system as Checkout.AppHost defines it, started in the test's process through Aspire.Hosting.Testing: PostgreSQL
/// (embedded, in a temporary data folder removed at the end), the embedded broker, the six services; or only the
/// resources a test names (<see cref="CheckoutAppOptions.Resources"/>), so that every test runs the app host's own
/// resources. Share one per test collection: disposing it takes several seconds.
/// </summary>
public sealed class CheckoutApp : IAsyncDisposable
{
    /// <summary>The services, in no particular order.</summary>
    public static readonly IReadOnlyList<string> Services =
        [ServiceNames.Catalog, ServiceNames.Orders, ServiceNames.Inventory, ServiceNames.Payments, ServiceNames.Notifications, ServiceNames.Gateway];

    /// <summary>Every resource of the system: the server, its databases, the broker and the services.</summary>
    public static readonly IReadOnlyList<string> AllResources =
    [
        "postgres", DatabaseNames.Catalog, DatabaseNames.Orders, DatabaseNames.Inventory, DatabaseNames.Payments, DatabaseNames.Notifications,
        "kafka", .. Services,
    ];

    private readonly TemporaryDataFolder _data;
    private readonly Dictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);

    private CheckoutApp(DistributedApplication app, TemporaryDataFolder data, IReadOnlyList<string> resources)
    {
        App = app;
        _data = data;
        Resources = resources;
    }

    /// <summary>The embedded PostgreSQL server's data folder (temporary: removed when this app is disposed).</summary>
    public string PostgresDataDirectory => _data.Path;

    /// <summary>The resources this app runs.</summary>
    public IReadOnlyList<string> Resources { get; }

    public DistributedApplication App { get; }

    /// <summary>The embedded broker, for fault injection.</summary>
    public EmbeddedKafka Kafka => App.Services.GetRequiredService<DistributedApplicationModel>().Resources
        .OfType<EmbeddedKafkaResource>().Single().Broker
        ?? throw new InvalidOperationException("The embedded broker is not running.");

    public static async Task<CheckoutApp> StartAsync(CheckoutAppOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new CheckoutAppOptions();
        var data = new TemporaryDataFolder();
        DistributedApplication? app = null;
        try
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Checkout_AppHost>(
                [$"--Postgres:DataDirectory={data.Path}", .. options.Arguments],
                (applicationOptions, _) => applicationOptions.DisableDashboard = !options.WithDashboard,
                cancellationToken);
            // A resource's health checks fail until it has started: what counts is what WaitForResourceHealthyAsync sees.
            builder.Services.AddLogging(logging => logging
                .SetMinimumLevel(options.MinimumLogLevel)
                // Aspire.Hosting.Testing forwards each resource's console log under "<application name>.Resources.<resource>"
                // at Information (stderr at Error): the default level does not reach it, this rule does.
                .AddFilter(builder.Environment.ApplicationName + ".Resources", options.MinimumLogLevel)
                .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None));
            var resources = options.Resources ?? AllResources;
            var removed = builder.Resources.Where(resource => Runs(resource) && !resources.Contains(resource.Name)).ToList();
            foreach (var unwanted in removed)
                builder.Resources.Remove(unwanted);
            TrimmedModel.ForgetRemoved(builder, removed);
            options.Configure?.Invoke(builder);
            DirectEndpoints.Apply(builder.Resources, options.DirectEndpoints);
            if (!options.WithDashboard)
            {
                // No dashboard, no collector: without this, each service would spend its exporter's whole timeout
                // (10 s) trying to send what is left of its telemetry when it stops.
                foreach (var project in builder.Resources.OfType<ProjectResource>().ToList())
                    builder.CreateResourceBuilder(project).WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", "");
            }

            foreach (var (resource, variables) in options.Environment)
            {
                var project = builder.CreateResourceBuilder<ProjectResource>(resource);
                foreach (var (name, value) in variables)
                    project.WithEnvironment(name, value);
            }

            app = await builder.BuildAsync(cancellationToken);
            using var startTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            startTimeout.CancelAfter(options.StartTimeout);
            await app.StartAsync(startTimeout.Token);
            if (options.WaitUntilHealthy)
            {
                foreach (var resource in resources)
                    await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, startTimeout.Token);
            }

            return new CheckoutApp(app, data, resources);
        }
        catch
        {
            if (app is not null)
                await app.DisposeAsync();
            data.Dispose();
            throw;
        }
    }

    /// <summary>A gRPC channel to <paramref name="service"/>'s endpoint named grpc; it outlives the service's restarts.</summary>
    public GrpcChannel Channel(string service)
    {
        lock (_channels)
        {
            if (!_channels.TryGetValue(service, out var channel))
                _channels[service] = channel = GrpcChannel.ForAddress(App.GetEndpoint(service, "grpc"));
            return channel;
        }
    }

    /// <summary>Typed clients of the five gRPC services, each call with a deadline.</summary>
    public CheckoutClient Client => new(this);

    /// <summary>An HttpClient for the gateway's HTTP/JSON API.</summary>
    public HttpClient CreateGatewayClient() => App.CreateHttpClient(ServiceNames.Gateway, "http");

    /// <summary>The connection string of <paramref name="resource"/> (a database, or "postgres" for the server).</summary>
    public async Task<string> ConnectionStringAsync(string resource, CancellationToken cancellationToken = default) =>
        await App.GetConnectionStringAsync(resource, cancellationToken)
        ?? throw new InvalidOperationException($"'{resource}' has no connection string.");

    /// <summary>Creates database <paramref name="name"/> on the server unless it exists and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        var server = $"{await ConnectionStringAsync("postgres", cancellationToken)};Database=postgres";
        await PostgresDatabases.CreateIfMissingAsync(server, name, NullLogger.Instance, cancellationToken);
        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>Stops <paramref name="resource"/> through the app model, as the dashboard's Stop does, and waits until it has.</summary>
    public async Task StopAsync(string resource, CancellationToken cancellationToken = default)
    {
        await ExecuteAsync(resource, KnownResourceCommands.StopCommand, cancellationToken);
        await App.ResourceNotifications.WaitForResourceAsync(resource, KnownResourceStates.TerminalStates, cancellationToken);
    }

    /// <summary>Starts <paramref name="resource"/> again through the app model and waits until it is healthy.</summary>
    public async Task StartAsync(string resource, CancellationToken cancellationToken = default)
    {
        await ExecuteAsync(resource, KnownResourceCommands.StartCommand, cancellationToken);
        await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels.Values)
            channel.Dispose();
        await App.DisposeAsync();
        _data.Dispose();
    }

    // The resources of the app host's model, as opposed to the parameters and the dashboard Aspire adds.
    private static bool Runs(IResource resource) => resource is ProjectResource or IResourceWithConnectionString;

    // What the kept resources had of the removed ones would hold their start forever: a WaitFor waits for a resource
    // that never runs, and a reference waits for endpoints no one allocates. A removed resource loses its endpoints, so
    // references to it give nothing; a test gives a kept resource what it needs through CheckoutAppOptions.Environment
    // (the gateway alone: services__orders__grpc__0 and so on).
    private async Task ExecuteAsync(string resource, string command, CancellationToken cancellationToken)
    {
        var result = await App.ResourceCommands.ExecuteCommandAsync(resource, command, cancellationToken);
        if (!result.Success)
            throw new InvalidOperationException($"{command} of '{resource}' failed: {result.Message}");
    }
}
