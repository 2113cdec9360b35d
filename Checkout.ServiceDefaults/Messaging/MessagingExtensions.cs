using Checkout.ServiceDefaults.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
