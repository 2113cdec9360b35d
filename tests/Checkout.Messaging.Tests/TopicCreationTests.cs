using System.Diagnostics;
using Checkout.Contracts;
using Confluent.Kafka;

namespace Checkout.Messaging.Tests;

/// <summary>What MessagingInitializer does with the topics a service needs and the broker lacks.</summary>
public sealed class TopicCreationTests(MessagingFixture fixture)
{
    [Fact]
    public async Task A_broker_that_cannot_create_the_missing_topics_fails_the_start_in_time_naming_them_and_its_answer()
    {
        var database = await fixture.CreateDatabaseAsync();
        // Never created on the broker: the service has to ask for it and its dead-letter topic. The embedded broker
        // names no controller, so it cannot create them (librdkafka waits for a controller until the timeout).
        var topic = $"missing-{Guid.NewGuid():N}";
        var started = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => TestService.StartAsync(
            MessagingFixture.NewServiceName("orders"), database, fixture.Kafka.BootstrapServers,
            m => m.AddConsumer<EffectsHandler>(topic),
            configure: o => o.TopicsTimeout = TimeSpan.FromSeconds(2)));

        Assert.InRange(started.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(20));
        Assert.Contains($"'{topic}'", error.Message);
        Assert.Contains($"'{Topics.DeadLetter(topic)}'", error.Message);
        Assert.Contains(fixture.Kafka.BootstrapServers, error.Message);
        var answer = Assert.IsType<KafkaException>(error.InnerException);
        Assert.Equal(ErrorCode.Local_TimedOut, answer.Error.Code);
        Assert.Contains($"{answer.Error.Code} ({answer.Error.Reason})", error.Message);
        Assert.Contains("Messaging:TopicsTimeout", error.Message);
    }
}
