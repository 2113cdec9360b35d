using Checkout.AppHost.Infrastructure;
using Checkout.ServiceDefaults.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Checkout.Messaging.Tests;

public sealed class OutboxTests(MessagingFixture fixture)
{
    [Fact]
    public async Task A_rolled_back_transaction_publishes_nothing_and_a_committed_one_exactly_its_events_in_order_per_key()
    {
        var database = await fixture.CreateDatabaseAsync();
        await Database.CreateTablesAsync(database);
        var topic = fixture.NewTopic("orders");
        var probe = new TestProbe();
        await using var service = await TestService.StartAsync("orders", database, fixture.Kafka.BootstrapServers,
            m => m.AddOutbox().AddConsumer<EffectsHandler>(topic), services: s => s.AddSingleton(probe));

        var rolledBack = await service.WriteAsync(topic, TestEvents.Interleaved(keys: 3, perKey: 2), commit: false);
        var committedEvents = TestEvents.Interleaved(keys: 3, perKey: 4).ToList();
        var committed = await service.WriteAsync(topic, committedEvents);

        await Eventually.UntilAsync(async () => (await Database.EffectsAsync(database)).Count >= committed.Count, "the committed events are handled");
        await Eventually.UntilAsync(async () => await Database.UnsentAsync(database) == 0, "the outbox is drained");

        var published = RawKafka.ReadAll(fixture.Kafka.BootstrapServers, topic);
        Assert.Equal(committed.Order(), published.Select(RawKafka.MessageId).Order());
        Assert.Empty(published.Select(RawKafka.MessageId).Intersect(rolledBack));
        OrderAssert.PerKeyInOrder(published.Select(r => (r.Message.Key, TestEvents.Sequence(r))), committedEvents);
        var effects = await Database.EffectsAsync(database);
        Assert.Equal(committed.Order(), effects.Select(e => e.MessageId).Order());
        OrderAssert.PerKeyInOrder(effects.Select(e => (e.MessageKey, e.Seq)), committedEvents);

        var health = await service.Host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HealthStatus.Healthy, health.Status);
        Assert.Contains("messaging-outbox", health.Entries.Keys);
        Assert.Contains($"messaging-consumer-{topic}", health.Entries.Keys);
    }
}
