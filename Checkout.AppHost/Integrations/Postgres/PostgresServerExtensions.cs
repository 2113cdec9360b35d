using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Checkout.AppHost.Integrations.Postgres;

/// <summary>
/// The system's PostgreSQL, from the configuration section named after the resource ("Postgres" for "postgres"):
/// <list type="bullet">
/// <item>run mode, Mode=Embedded (the default): <see cref="EmbeddedPostgresResource"/>, the machine's server binaries
/// (or those in BinDirectory), data in DataDirectory (relative to the app host's folder), on Port (0: a free one);</item>
/// <item>run mode, Mode=External: <see cref="ExternalPostgresResource"/> from ConnectionStrings:&lt;name&gt;;</item>
/// <item>publish mode: Aspire.Hosting.PostgreSQL's container, its password a parameter, so that the manifest holds
/// what a cloud deployment needs.</item>
/// </list>
/// In run mode each database is created when missing once the server is healthy, and is healthy once it accepts a
/// connection; WaitFor on a database therefore waits for both.
/// </summary>
public static class PostgresServerExtensions
{
    private const int DefaultMaxPoolSize = 16;

    public static PostgresServer AddPostgresServer(this IDistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (builder.ExecutionContext.IsPublishMode)
        {
            var container = builder.AddPostgres(name, password: builder.AddParameter($"{name}-password", secret: true));
            return new PostgresServer(container, database => container.AddDatabase(database));
        }

        var settings = builder.Configuration.GetSection(SectionName(name));
        var maxPoolSize = settings.GetValue("MaxPoolSize", DefaultMaxPoolSize);
        var server = settings.GetValue("Mode", InfrastructureMode.Embedded) switch
        {
            InfrastructureMode.Embedded => AddEmbedded(builder, name, settings, maxPoolSize),
            _ => AddExternal(builder, name, maxPoolSize),
        };
        return new PostgresServer(server, database => AddProvisionedDatabase(server, database));
    }

    private static IResourceBuilder<IPostgresServerResource> AddEmbedded(
        IDistributedApplicationBuilder builder, string name, IConfiguration settings, int maxPoolSize)
    {
        var dataDirectory = Path.GetFullPath(settings["DataDirectory"] ?? "../.data/postgres", builder.AppHostDirectory);
        var binDirectory = settings["BinDirectory"] is { Length: > 0 } bin ? Path.GetFullPath(bin, builder.AppHostDirectory) : null;
        var port = settings.GetValue("Port", 0);
        if (port == 0)
            port = LoopbackPorts.PickFree();
        var server = new EmbeddedPostgresResource(
            name, EmbeddedPostgresCommand.Program, SectionName(name), dataDirectory, binDirectory, port, maxPoolSize);
        var healthCheck = $"{name}_check";
        builder.Services.AddHealthChecks().AddNpgSql($"{ServerConnectionString(server)};Database=postgres", name: healthCheck);
        IResourceBuilder<IPostgresServerResource> resource = builder.AddResource(server)
            .WithArgs(context => EmbeddedPostgresCommand.AddArgumentsAsync(context, server))
            .WithEndpoint(EmbeddedPostgresResource.EndpointName, endpoint =>
            {
                endpoint.Port = port;
                endpoint.TargetPort = port;
                endpoint.UriScheme = "tcp";
                // The services connect to the server itself: no proxy in the path of every query.
                endpoint.IsProxied = false;
            })
            .WithIconName("DatabaseMultiple")
            .WithHealthCheck(healthCheck)
            .OnBeforeResourceStarted(static (resource, @event, cancellationToken) =>
                EmbeddedPostgresStartup.PrepareAsync(resource, @event, cancellationToken));
        return resource.WithProvisionedDatabases(builder);
    }

    private static IResourceBuilder<IPostgresServerResource> AddExternal(IDistributedApplicationBuilder builder, string name, int maxPoolSize)
    {
        var connectionString = builder.Configuration.GetConnectionString(name);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new DistributedApplicationException(
                $"{SectionName(name)}:Mode is External but no connection string was given: set ConnectionStrings:{name} " +
                $"(for example --ConnectionStrings:{name}=\"Host=db;Port=5432;Username=checkout;Password=...\"), a role allowed to create databases.");
        }

        var parameter = builder.AddParameter($"{name}-connection-string", connectionString, secret: true);
        var server = new ExternalPostgresResource(name, parameter.Resource, maxPoolSize);
        var healthCheck = $"{name}_check";
        builder.Services.AddHealthChecks().AddNpgSql(connectionString, name: healthCheck);
        IResourceBuilder<IPostgresServerResource> resource = builder.AddResource(server)
            .WithIconName("DatabaseMultiple")
            .WithHealthCheck(healthCheck)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgreSQL (external)",
                State = KnownResourceStates.NotStarted,
                Properties = [new(CustomResourceKnownProperties.Source, new NpgsqlConnectionStringBuilder(connectionString) { Password = null }.ConnectionString)],
            })
            .OnInitializeResource(static async (resource, @event, cancellationToken) =>
            {
                // Nothing to start: the server is there or it is not, which its health check tells.
                await @event.Notifications.PublishUpdateAsync(resource, state => state with
                {
                    State = KnownResourceStates.Running,
                    StartTimeStamp = DateTime.UtcNow,
                });
            });
        return resource.WithProvisionedDatabases(builder);
    }

    /// <summary>Creates the server's databases (its child resources) when missing, once the server is healthy.</summary>
    private static IResourceBuilder<IPostgresServerResource> WithProvisionedDatabases(this IResourceBuilder<IPostgresServerResource> server, IDistributedApplicationBuilder builder) =>
        server.OnResourceReady(async (resource, @event, cancellationToken) =>
        {
            var connectionString = await resource.ConnectionStringExpression.GetValueAsync(cancellationToken)
                ?? throw new DistributedApplicationException($"The PostgreSQL server '{resource.Name}' has no connection string.");
            var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
            var loggers = @event.Services.GetRequiredService<ResourceLoggerService>();
            foreach (var database in builder.Resources.OfType<ProvisionedDatabaseResource>().Where(database => database.Parent == resource))
            {
                var logger = loggers.GetLogger(database);
                try
                {
                    await PostgresDatabases.CreateIfMissingAsync($"{connectionString};Database=postgres", database.DatabaseName, logger, cancellationToken);
                    await notifications.PublishUpdateAsync(database, state => state with { State = KnownResourceStates.Running, StartTimeStamp = DateTime.UtcNow });
                }
                catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
                {
                    logger.LogError(exception, "The database {Database} could not be created on {Server}", database.DatabaseName, resource.Name);
                    await notifications.PublishUpdateAsync(database, state => state with { State = KnownResourceStates.FailedToStart });
                }
            }
        });

    private static IResourceBuilder<IResourceWithConnectionString> AddProvisionedDatabase(IResourceBuilder<IPostgresServerResource> server, string name)
    {
        var builder = server.ApplicationBuilder;
        var database = new ProvisionedDatabaseResource(name, server.Resource);
        // Known once the server is ready. Not from ConnectionStringAvailableEvent: Aspire raises it for resources DCP
        // runs (and their children), so with an external server it never came and the databases never became healthy.
        string? connectionString = null;
        builder.Eventing.Subscribe<ResourceReadyEvent>(server.Resource, async (_, cancellationToken) =>
            connectionString = await database.ConnectionStringExpression.GetValueAsync(cancellationToken));
        var healthCheck = $"{name}_check";
        builder.Services.AddHealthChecks().AddNpgSql(
            _ => connectionString ?? throw new InvalidOperationException($"The connection string of '{name}' is not known yet."),
            name: healthCheck);
        return builder.AddResource(database)
            .WithParentRelationship(server)
            .WithIconName("Database")
            .WithHealthCheck(healthCheck)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgreSQL database",
                State = KnownResourceStates.NotStarted,
                Properties = [new(CustomResourceKnownProperties.Source, server.Resource.Name)],
            });
    }

    private static string ServerConnectionString(EmbeddedPostgresResource server) =>
        $"Host=127.0.0.1;Port={server.Port.ToString(CultureInfo.InvariantCulture)};Username={EmbeddedPostgresResource.SuperUser}";

    private static string SectionName(string name) => char.ToUpperInvariant(name[0]) + name[1..];
}
