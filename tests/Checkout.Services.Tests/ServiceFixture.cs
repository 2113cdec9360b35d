using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Checkout.AppHost.Integrations.Kafka;
using Checkout.Contracts;
using Checkout.Contracts.Messaging.V1;
using Dapper;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Checkout.Services.Tests;

/// <summary>
/// One service under test (<paramref name="name"/>: catalog, orders...) run by the app host's own model trimmed to it
/// (<see cref="CheckoutApp"/>): its project resource, its database <paramref name="database"/> on the embedded
/// PostgreSQL and, for a service that publishes or consumes events (<paramref name="usesBroker"/>), the embedded
/// broker. Each fixture has its own app, so its own PostgreSQL and broker: two fixtures of one service (different
/// settings) share no state. <see cref="InstanceCount"/> instances of the project share the database and consumer
/// group. Everything the app started is gone once the fixture is disposed.
/// </summary>
public abstract class ServiceFixture(string name, string database, bool usesBroker) : IAsyncLifetime
{
    /// <summary>How long starting or stopping one resource through the app model may take.</summary>
    public static readonly TimeSpan StartStopTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Settings that make the services react in test time rather than production time.</summary>
    private static readonly IReadOnlyDictionary<string, string> TestSpeed = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Messaging__Outbox__PollInterval"] = "00:00:01",
        ["Messaging__Consumers__RetryMinDelay"] = "00:00:00.020",
        ["Messaging__Consumers__RetryMaxDelay"] = "00:00:00.200",
        ["Messaging__Consumers__CommitInterval"] = "00:00:00.200",
    };

    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);
    private EventLog? _events;

    /// <summary>The service's resource name in the app host's model; its first instance.</summary>
    public string Name { get; } = name;

    public CheckoutApp App { get; private set; } = null!;

    /// <summary>The resource names of the instances started with the fixture: <see cref="Name"/>, then Name-2...</summary>
    public IReadOnlyList<string> Instances { get; private set; } = [];

    /// <summary>The connection string of the service's database (the one its instances share).</summary>
    public string ConnectionString { get; private set; } = null!;

    /// <summary>A gRPC channel to the first instance's endpoint named grpc; it outlives the instance's restarts.</summary>
    public GrpcChannel Channel => App.Channel(Name);

    /// <summary>The first instance's console lines.</summary>
    public ConsoleOutput Output { get; private set; } = null!;

    /// <summary>The saga's topics on the fixture's broker: publishes as other services would, records what they carry.</summary>
    public EventLog Events => _events ?? throw new InvalidOperationException($"The {Name} fixture runs no broker.");

    protected virtual int InstanceCount => 1;

    /// <summary>Configuration of this service under test, on top of <see cref="TestSpeed"/>.</summary>
    protected virtual IReadOnlyDictionary<string, string> Environment { get; } = new Dictionary<string, string>();

    /// <summary>Declares what else the fixture's model runs (another instance started later...), before it is built.</summary>
    protected virtual void Configure(IDistributedApplicationTestingBuilder builder)
    {
    }

    public virtual async ValueTask InitializeAsync()
    {
        Instances = [Name, .. Enumerable.Range(2, InstanceCount - 1).Select(index => $"{Name}-{index}")];
        foreach (var (variable, value) in TestSpeed.Concat(Environment))
            _environment[variable] = value;
        var options = new CheckoutAppOptions
        {
            Resources = ["postgres", database, .. usesBroker ? new[] { "kafka" } : [], .. Instances],
            Configure = builder =>
            {
                // The services' console lines (forwarded to the app's logging by Aspire.Hosting.Testing) go to the
                // running test's output, with the app's own warnings.
                builder.Services.AddLogging(logging => logging
                    .AddProvider(new TestOutputLoggerProvider())
                    .AddFilter<TestOutputLoggerProvider>((category, level) => level >= LogLevel.Warning || category?.Contains(".Resources.", StringComparison.Ordinal) == true));
                if (builder.Resources.OfType<EmbeddedKafkaResource>().SingleOrDefault() is { } kafka)
                    _environment["Messaging__Partitions"] = kafka.Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var first = builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(project => project.Name == Name));
                foreach (var (variable, value) in _environment)
                    first.WithEnvironment(variable, value);
                // Together with the first: instances that join the consumer group in its initial rebalance get their
                // partitions at once, where one joining a settled group waits for the embedded broker's rebalance to end.
                foreach (var instance in Instances.Skip(1))
                    AddInstance(builder, instance);
                Configure(builder);
            },
        };
        try
        {
            App = await CheckoutApp.StartAsync(options, TestContext.Current.CancellationToken);
            ConnectionString = await App.ConnectionStringAsync(database, TestContext.Current.CancellationToken);
            Output = ConsoleOutput.Watch(App, Name);
            if (usesBroker)
            {
                var kafka = App.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<EmbeddedKafkaResource>().Single();
                _events = new EventLog(App.Kafka.BootstrapServers, kafka.Topics, kafka.Partitions);
            }
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Adds another instance of the service, <paramref name="instance"/>, given what Program.cs gives the first (its
    /// database when <paramref name="sharesDatabase"/>, the broker, each waited for) and this fixture's configuration.
    /// </summary>
    protected IResourceBuilder<ProjectResource> AddInstance(IDistributedApplicationTestingBuilder builder, string instance, bool sharesDatabase = true)
    {
        var first = builder.Resources.OfType<ProjectResource>().Single(project => project.Name == Name);
        var project = AddProject(builder, instance).WithHttpHealthCheck("/health");
        var connections = first.Annotations.OfType<ResourceRelationshipAnnotation>()
            .Where(relationship => relationship.Type == "Reference")
            .Select(relationship => relationship.Resource)
            .OfType<IResourceWithConnectionString>()
            .Distinct()
            .Where(connection => sharesDatabase || connection.Name != database);
        foreach (var connection in connections)
        {
            var source = builder.CreateResourceBuilder(connection);
            project.WithReference(source).WaitFor(source);
        }

        foreach (var (variable, value) in _environment)
            project.WithEnvironment(variable, value);
        return project;
    }

    // The project as Program.cs adds it, through the metadata generated for the app host: it says that the project is
    // built with the app host, so it runs as built (dotnet run --no-build), where AddProject(name, path) builds it again.
    private IResourceBuilder<ProjectResource> AddProject(IDistributedApplicationBuilder builder, string instance) => Name switch
    {
        ServiceNames.Catalog => builder.AddProject<Projects.Checkout_Catalog>(instance),
        ServiceNames.Orders => builder.AddProject<Projects.Checkout_Orders>(instance),
        ServiceNames.Inventory => builder.AddProject<Projects.Checkout_Inventory>(instance),
        ServiceNames.Payments => builder.AddProject<Projects.Checkout_Payments>(instance),
        ServiceNames.Notifications => builder.AddProject<Projects.Checkout_Notifications>(instance),
        _ => throw new InvalidOperationException($"No project metadata for '{Name}'."),
    };

    /// <summary>Stops the first instance through the app model (as the dashboard's Stop does) and waits until it has.</summary>
    public async Task StopAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(StartStopTimeout);
        await App.StopAsync(Name, timeout.Token);
    }

    /// <summary>Starts the first instance again through the app model and waits until it is healthy.</summary>
    public async Task StartAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(StartStopTimeout);
        await App.StartAsync(Name, timeout.Token);
    }

    /// <summary>Starts <paramref name="instance"/>, declared in <see cref="Configure"/> with WithExplicitStart (the caller disposes it).</summary>
    public Task<ServiceInstance> StartInstanceAsync(string instance) => ServiceInstance.StartAsync(App, instance, TestContext.Current.CancellationToken);

    /// <summary>Every call has a deadline and ends with the test.</summary>
    public static CallOptions CallOptions() => new(deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>Publishes <paramref name="event"/> of order <paramref name="orderId"/> to "orders", as the Orders service's outbox does.</summary>
    public Task<Envelope> PublishOrderEventAsync(string orderId, IMessage @event) => Events.PublishAsync("orders", orderId, @event);

    /// <summary>Waits until the service has handled (committed with its inbox row) every one of <paramref name="envelopes"/>.</summary>
    public async Task HandledAsync(params Envelope[] envelopes)
    {
        var ids = envelopes.Select(e => Guid.Parse(e.MessageId)).ToArray();
        await Eventually.UntilAsync(async () =>
        {
            await using var connection = await OpenDatabaseAsync();
            return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM messaging.inbox WHERE message_id = ANY(@ids)", new { ids }) == ids.Length;
        }, $"{Name} handled {ids.Length} message(s)");
    }

    public async Task<NpgsqlConnection> OpenDatabaseAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        return connection;
    }

    /// <summary>The single value <paramref name="sql"/> selects from the service's database, as a long.</summary>
    public async Task<long> CountAsync(string sql)
    {
        await using var connection = await OpenDatabaseAsync();
        return Convert.ToInt64(await connection.ExecuteScalarAsync(sql), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The events the service wrote to its outbox for <paramref name="key"/>, published or not: an event is in the outbox
    /// as soon as the change that made it commits, so this sees a wrongly written one that the event log may not have yet.
    /// </summary>
    public Task<long> OutboxEventsAsync(string key) => CountAsync($"SELECT count(*) FROM messaging.outbox WHERE message_key = '{key}'");

    public virtual async ValueTask DisposeAsync()
    {
        _events?.Dispose();
        _events = null;
        if (Output is not null)
            await Output.DisposeAsync();
        Output = null!;
        if (App is not null)
            await App.DisposeAsync();
        App = null!;
        GC.SuppressFinalize(this);
    }
}
