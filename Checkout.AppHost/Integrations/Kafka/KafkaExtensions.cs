using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Checkout.AppHost.Integrations.Kafka;

/// <summary>
/// The system's Kafka, from the configuration section named after the resource ("Kafka" for "kafka"):
/// <list type="bullet">
/// <item>run mode, Mode=Embedded (the default): <see cref="EmbeddedKafkaResource"/> in the app host's process, a
/// cluster of Brokers brokers (1 by default), the topics and their .dlq created at start; every project that references it gets the client settings its quirks need
/// (<see cref="EmbeddedKafka.ClientEnvironment"/>);</item>
/// <item>run mode, Mode=External: ConnectionStrings:&lt;name&gt; (the bootstrap servers); the services create the
/// topics they use when missing;</item>
/// <item>publish mode: <see cref="KafkaContainerResource"/>, the official apache/kafka image as one KRaft node.</item>
/// </list>
/// </summary>
public static class KafkaExtensions
{
    private const string Image = "apache/kafka";
    private const string ImageTag = "4.1.0";

    public static IResourceBuilder<IResourceWithConnectionString> AddKafka(
        this IDistributedApplicationBuilder builder, string name, IReadOnlyList<string> topics, int partitions = 6)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        if (builder.ExecutionContext.IsPublishMode)
            return AddContainer(builder, name);
        var section = char.ToUpperInvariant(name[0]) + name[1..];
        var mode = builder.Configuration.GetSection(section).GetValue("Mode", InfrastructureMode.Embedded);
        return mode == InfrastructureMode.Embedded ? AddEmbedded(builder, name, topics, partitions, builder.Configuration.GetSection(section).GetValue("Brokers", 1)) : AddExternal(builder, name, section);
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddExternal(IDistributedApplicationBuilder builder, string name, string section)
    {
        // Without this check a missing value stops nothing: the app host starts, waits for the parameter's value (which
        // only the dashboard asks for), the services wait for the broker, and the console says nothing of why.
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name)))
        {
            throw new DistributedApplicationException(
                $"{section}:Mode is External but no connection string was given: set ConnectionStrings:{name} to the bootstrap " +
                $"servers (for example --ConnectionStrings:{name}=broker1:9092,broker2:9092).");
        }

        return builder.AddConnectionString(name);
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddEmbedded(
        IDistributedApplicationBuilder builder, string name, IReadOnlyList<string> topics, int partitions, int brokers)
    {
        // Several brokers let a test take some down while others serve (partition leaders are spread over them).
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1, "Kafka:Brokers");
        var kafka = new EmbeddedKafkaResource(name, topics, partitions, brokers);
        var healthCheck = $"{name}_check";
        builder.Services.AddHealthChecks().AddCheck(healthCheck, () => kafka.Broker is not null
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("The embedded broker is not running."));
        builder.Eventing.Subscribe<BeforeStartEvent>((@event, _) =>
        {
            GiveClientSettingsToReferrers(@event.Model, kafka);
            return Task.CompletedTask;
        });
        return builder.AddResource(kafka)
            .WithIconName("DataFlow")
            .WithHealthCheck(healthCheck)
            .ExcludeFromManifest()
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "Kafka (embedded)",
                State = KnownResourceStates.NotStarted,
                Properties = [new(CustomResourceKnownProperties.Source, "librdkafka mock cluster")],
            })
            .OnInitializeResource(static async (resource, @event, cancellationToken) =>
            {
                var logger = @event.Logger;
                await @event.Notifications.PublishUpdateAsync(resource, state => state with { State = KnownResourceStates.Starting });
                EmbeddedKafka broker;
                try
                {
                    broker = StartBroker(resource, logger);
                }
                catch (Exception exception) when (exception is EmbeddedInfrastructureException or DllNotFoundException or EntryPointNotFoundException)
                {
                    logger.LogError("The embedded broker could not start: {Reason}", exception.Message);
                    resource.FailedToStart(exception);
                    await @event.Notifications.PublishUpdateAsync(resource, state => state with { State = KnownResourceStates.FailedToStart });
                    return;
                }

                @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(broker.Dispose);
                resource.Started(broker);
                await @event.Notifications.PublishUpdateAsync(resource, state => state with
                {
                    State = KnownResourceStates.Running,
                    StartTimeStamp = DateTime.UtcNow,
                    Properties = [.. state.Properties, new("kafka.bootstrap.servers", broker.BootstrapServers)],
                });
            });
    }

    private static EmbeddedKafka StartBroker(EmbeddedKafkaResource resource, ILogger logger)
    {
        var broker = EmbeddedKafka.Start(new EmbeddedKafkaOptions { Brokers = resource.Brokers });
        try
        {
            foreach (var topic in resource.Topics)
            {
                broker.CreateTopic(topic, resource.Partitions);
                broker.CreateTopic(Contracts.Topics.DeadLetter(topic), resource.Partitions);
            }
        }
        catch
        {
            broker.Dispose();
            throw;
        }

        logger.LogInformation("Kafka-protocol cluster of {Brokers} broker(s) listening on {BootstrapServers} with topics {Topics} ({Partitions} partitions each, and their .dlq)",
            resource.Brokers, broker.BootstrapServers, string.Join(", ", resource.Topics), resource.Partitions);
        return broker;
    }

    /// <summary>Every resource that references the embedded broker gets the client settings that work around its quirks.</summary>
    private static void GiveClientSettingsToReferrers(DistributedApplicationModel model, EmbeddedKafkaResource kafka)
    {
        foreach (var referrer in model.Resources.OfType<IResourceWithEnvironment>())
        {
            var references = referrer.Annotations.OfType<ResourceRelationshipAnnotation>()
                .Any(relationship => relationship.Resource == kafka && relationship.Type == "Reference");
            if (!references)
                continue;
            referrer.Annotations.Add(new EnvironmentCallbackAnnotation(context =>
            {
                foreach (var (variable, value) in EmbeddedKafka.ClientEnvironment)
                    context.EnvironmentVariables[variable] = value;
            }));
        }
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddContainer(IDistributedApplicationBuilder builder, string name)
    {
        var kafka = new KafkaContainerResource(name);
        return builder.AddResource(kafka)
            .WithImage(Image, ImageTag)
            .WithEndpoint(targetPort: KafkaContainerResource.BrokerPort, name: KafkaContainerResource.EndpointName)
            .WithEnvironment("KAFKA_NODE_ID", "1")
            .WithEnvironment("KAFKA_PROCESS_ROLES", "broker,controller")
            .WithEnvironment("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093")
            .WithEnvironment("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT")
            .WithEnvironment("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
            .WithEnvironment("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
            .WithEnvironment("KAFKA_INTER_BROKER_LISTENER_NAME", "PLAINTEXT")
            .WithEnvironment(context => context.EnvironmentVariables["KAFKA_ADVERTISED_LISTENERS"] =
                ReferenceExpression.Create($"PLAINTEXT://{kafka.PrimaryEndpoint.Property(EndpointProperty.HostAndPort)}"))
            .WithEnvironment("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
            .WithEnvironment("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
            .WithEnvironment("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
            .WithEnvironment("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
            .WithVolume($"{name}-data", "/var/lib/kafka/data")
            .WithEnvironment("KAFKA_LOG_DIRS", "/var/lib/kafka/data");
    }
}
