using Checkout.ServiceDefaults.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Checkout.ServiceDefaults.Messaging;

/// <summary>
/// Registration of reliable messaging for a service:
/// <code>
/// builder.AddServiceDatabase(DatabaseNames.Orders);
/// builder.AddKafkaMessaging(o => o.Topics.Add(Topics.Orders))
///        .AddOutbox()
///        .AddConsumer&lt;PaymentsTopicHandler&gt;(Topics.Payments);
/// </code>
/// </summary>
public static class MessagingExtensions
{
    /// <summary>
    /// Adds the messaging core: options from the "Messaging" section (then <paramref name="configure"/>), the broker
    /// from ConnectionStrings:kafka, the outbox/inbox schema in the service's database (the NpgsqlDataSource of
    /// AddServiceDatabase, migrated at start-up), the topics (created at start-up), telemetry ("Checkout.Messaging")
    /// and retention clean-up.
    /// </summary>
    public static MessagingBuilder AddKafkaMessaging(this IHostApplicationBuilder builder, Action<MessagingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (services.Any(service => service.ServiceType == typeof(KafkaConnection)))
            throw new InvalidOperationException("AddKafkaMessaging has already been called for this application.");
        if (!services.Any(service => service.ServiceType == typeof(DatabaseMigrator)))
            throw new InvalidOperationException("Messaging keeps its outbox and inbox in the service's database: call builder.AddServiceDatabase(\"<database>\") first.");
        var bootstrapServers = builder.Configuration.GetConnectionString("kafka");
        if (string.IsNullOrWhiteSpace(bootstrapServers))
            throw new InvalidOperationException("Messaging needs the Kafka bootstrap servers in ConnectionStrings:kafka (ConnectionStrings__kafka).");

        var applicationName = builder.Environment.ApplicationName;
        services.AddOptions<MessagingOptions>()
            .Bind(builder.Configuration.GetSection(MessagingOptions.SectionName))
            .Configure(options =>
            {
                options.ServiceName ??= applicationName;
                configure?.Invoke(options);
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<MessagingOptions>, MessagingOptionsValidator>();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(new KafkaConnection(bootstrapServers));
        services.AddSingleton<KafkaProducer>();
        services.AddSingleton<OutboxStatistics>();
        services.AddSingleton<MessagingTelemetry>();
        services.AddHostedService<MessagingInitializer>();
        services.AddHostedService<MessagingMaintenance>();
        return new MessagingBuilder(services);
    }
}

/// <summary>Adds the outbox and consumers to the messaging set up by AddKafkaMessaging.</summary>
public sealed class MessagingBuilder(IServiceCollection services)
{
    private readonly HashSet<string> consumedTopics = new(StringComparer.Ordinal);
    private bool outboxAdded;

    public IServiceCollection Services { get; } = services;

    /// <summary>Adds <see cref="IOutbox"/> (write events in your transaction) and the dispatcher that publishes them.</summary>
    public MessagingBuilder AddOutbox()
    {
        if (outboxAdded)
            throw new InvalidOperationException("AddOutbox has already been called.");
        outboxAdded = true;
        Services.AddSingleton<OutboxSignal>();
        Services.AddSingleton<Outbox>();
        Services.AddSingleton<IOutbox>(provider => provider.GetRequiredService<Outbox>());
        Services.AddHostedService<OutboxDispatcher>();
        Services.AddHealthChecks().AddCheck<OutboxHealthCheck>("messaging-outbox", tags: ["ready"]);
        return this;
    }

    /// <summary>
    /// Consumes <paramref name="topics"/> in the service's consumer group with <typeparamref name="THandler"/>
    /// (resolved from a scope per batch). Each topic can have one handler per service.
    /// </summary>
    public MessagingBuilder AddConsumer<THandler>(params string[] topics) where THandler : class, IMessageHandler
    {
        if (topics is not { Length: > 0 } || topics.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("A consumer needs at least one topic name, and no empty one.", nameof(topics));
        foreach (var topic in topics)
            if (!consumedTopics.Add(topic))
                throw new InvalidOperationException($"Topic '{topic}' already has a consumer in this service: one group reads each message once.");

        var registration = new ConsumerRegistration(typeof(THandler), topics);
        Services.AddSingleton(registration);
        Services.TryAddScoped<THandler>();
        Services.AddKeyedSingleton(registration, (provider, _) => ActivatorUtilities.CreateInstance<KafkaConsumerService>(provider, registration));
        Services.AddSingleton<IHostedService>(provider => provider.GetRequiredKeyedService<KafkaConsumerService>(registration));
        Services.AddHealthChecks().Add(new HealthCheckRegistration(
            $"messaging-consumer-{string.Join('+', topics)}",
            provider => provider.GetRequiredKeyedService<KafkaConsumerService>(registration),
            failureStatus: HealthStatus.Unhealthy,
            tags: ["ready"]));
        return this;
    }
}
