using Checkout.AppHost.Integrations.Kafka;
using Checkout.Testing.AppHost;

namespace Checkout.Messaging.Tests;

/// <summary>
/// A second embedded broker, of <see cref="Brokers"/> brokers (Kafka:Brokers), run through Aspire for the tests that
/// take every broker of a cluster down: with several, the partitions' leaders and the producer's connections are spread
/// over them as on a real cluster. The shared broker of <see cref="MessagingFixture"/> has one and stays up.
/// </summary>
public sealed class MultiBrokerFixture : IAsyncLifetime
{
    public const int Brokers = 3;

    private CheckoutApp? _app;

    public EmbeddedKafka Kafka => (_app ?? throw new InvalidOperationException("The fixture has not started.")).Kafka;

    public async ValueTask InitializeAsync() =>
        _app = await CheckoutApp.StartAsync(
            new CheckoutAppOptions { Resources = ["kafka"], Arguments = [$"--Kafka:Brokers={Brokers}"] }, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
            await _app.DisposeAsync();
    }
}
