using Checkout.ServiceDefaults.Messaging;
using Checkout.ServiceDefaults.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Checkout.Messaging.Tests;

public sealed class ConfigurationTests
{
    [Fact]
    public void Messaging_without_a_broker_address_fails_at_registration_naming_the_setting()
    {
        var builder = Builder(new() { ["ConnectionStrings:servicedb"] = "Host=127.0.0.1;Database=orders" });
        builder.AddServiceDatabase("servicedb");

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddKafkaMessaging());
        Assert.Contains("ConnectionStrings:kafka", error.Message);
    }

    [Fact]
    public void Messaging_without_the_service_database_fails_at_registration_saying_what_to_call()
    {
        var builder = Builder(new() { ["ConnectionStrings:kafka"] = "127.0.0.1:9092" });

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddKafkaMessaging());
        Assert.Contains("AddServiceDatabase", error.Message);
    }

    [Fact]
    public async Task Invalid_settings_stop_the_service_at_start_up_with_every_problem_named()
    {
        var builder = Builder(new()
        {
            ["ConnectionStrings:kafka"] = "127.0.0.1:9092",
            ["ConnectionStrings:servicedb"] = "Host=127.0.0.1;Database=orders",
            ["Messaging:Partitions"] = "0",
            ["Messaging:TopicsTimeout"] = "00:00:00",
            ["Messaging:Outbox:BatchSize"] = "0",
            ["Messaging:Consumers:RetryMinDelay"] = "-00:00:01",
        });
        builder.AddServiceDatabase("servicedb");
        builder.AddKafkaMessaging().AddOutbox();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains(error.Failures, failure => failure.Contains("Partitions"));
        Assert.Contains(error.Failures, failure => failure.Contains("Messaging:TopicsTimeout"));
        Assert.Contains(error.Failures, failure => failure.Contains("BatchSize"));
        Assert.Contains(error.Failures, failure => failure.Contains("Consumers:RetryMinDelay"));
    }

    [Fact]
    public void A_topic_can_have_only_one_consumer_per_service()
    {
        var builder = Builder(new() { ["ConnectionStrings:kafka"] = "127.0.0.1:9092", ["ConnectionStrings:servicedb"] = "Host=127.0.0.1" });
        builder.AddServiceDatabase("servicedb");
        var messaging = builder.AddKafkaMessaging().AddConsumer<EffectsHandler>("payments");

        var error = Assert.Throws<InvalidOperationException>(() => messaging.AddConsumer<ForwardingHandler>("inventory", "payments"));
        Assert.Contains("'payments'", error.Message);
    }

    private static HostApplicationBuilder Builder(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        return builder;
    }
}
