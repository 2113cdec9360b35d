using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Checkout.AppHost.Integrations.Kafka;
using Checkout.Testing.AppHost;
using Microsoft.Extensions.DependencyInjection;

namespace Checkout.Infrastructure.Tests;

/// <summary>
/// The app host's embedded broker, started through Aspire as a cluster of <see cref="Brokers"/> brokers (so that a
/// test can take one down while the others serve), with a resource of the test's own that references it as a project
/// does: an executable that prints the environment it was given.
/// </summary>
public sealed class EmbeddedKafkaFixture : IAsyncLifetime
{
    public const string Kafka = "kafka";
    public const string Referrer = "kafka-referrer";
    public const int Brokers = 3;

    public CheckoutApp App { get; private set; } = null!;

    public EmbeddedKafkaResource Resource =>
        App.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<EmbeddedKafkaResource>().Single();

    public string BootstrapServers => App.Kafka.BootstrapServers;

    public async ValueTask InitializeAsync() =>
        App = await CheckoutApp.StartAsync(
            new CheckoutAppOptions
            {
                Resources = [Kafka],
                Arguments = [$"--Kafka:Brokers={Brokers}"],
                Configure = builder =>
                {
                    var kafka = builder.CreateResourceBuilder(builder.Resources.OfType<EmbeddedKafkaResource>().Single());
                    // env prints its environment and exits: what DCP gave it is then in its log.
                    builder.AddExecutable(Referrer, "env", workingDirectory: "/").WithReference(kafka).WaitFor(kafka);
                },
            },
            TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (App is not null)
            await App.DisposeAsync();
    }
}
