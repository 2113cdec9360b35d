using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Checkout.ServiceDefaults.Messaging;

/// <summary>Adds the outbox and consumers to the messaging set up by AddKafkaMessaging.</summary>
public sealed class MessagingBuilder(IServiceCollection services)
{
    private readonly HashSet<string> _consumedTopics = new(StringComparer.Ordinal);
    private bool _outboxAdded;

    public IServiceCollection Services { get; } = services;

    /// <summary>Adds <see cref="IOutbox"/> (write events in your transaction) and the dispatcher that publishes them.</summary>
    public MessagingBuilder AddOutbox()
    {
        if (_outboxAdded)
            throw new InvalidOperationException("AddOutbox has already been called.");
        _outboxAdded = true;
        Services.AddSingleton<OutboxSignal>();
        Services.AddSingleton<Outbox>();
        Services.AddSingleton<IOutbox>(provider => provider.GetRequiredService<Outbox>());
        Services.AddHostedService<OutboxDispatcher>();
        Services.AddHealthChecks().AddCheck<OutboxHealthCheck>("messaging-outbox", tags: ["ready"]);
        return this;
    }

    /// <summary>
    /// Consumes <paramref name="topics"/> in the service's consumer group with <typeparamref name="THandler"/>
    /// (resolved from a scope per batch), for the event types it declares in <see cref="IMessageHandler.HandledTypes"/>.
    /// Each topic can have one handler per service.
    /// </summary>
    public MessagingBuilder AddConsumer<THandler>(params string[] topics) where THandler : class, IMessageHandler
    {
        if (topics is not { Length: > 0 } || topics.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("A consumer needs at least one topic name, and no empty one.", nameof(topics));
        foreach (var topic in topics)
            if (!_consumedTopics.Add(topic))
                throw new InvalidOperationException($"Topic '{topic}' already has a consumer in this service: one group reads each message once.");

        var handledTypes = THandler.HandledTypes?.Select(type => type.FullName).ToHashSet(StringComparer.Ordinal);
        var registration = new ConsumerRegistration(typeof(THandler), topics, handledTypes);
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
