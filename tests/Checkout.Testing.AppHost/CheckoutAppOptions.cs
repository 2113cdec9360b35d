using Aspire.Hosting.Testing;

namespace Checkout.Testing.AppHost;

/// <summary>How a test or a benchmark wants the system started.</summary>
public sealed record CheckoutAppOptions
{
    /// <summary>
    /// The resources to run (with what they need, such as a database's server), by name; null for the whole system.
    /// ["postgres", "kafka"] runs the infrastructure alone, for tests that bring their own databases and processes.
    /// </summary>
    public IReadOnlyList<string>? Resources { get; init; }

    /// <summary>Extra environment of a project, by resource name: <c>["orders"] = { ["Orders__SagaTimeout"] = "00:00:15" }</c>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Environment { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>Extra app host settings, as command-line arguments (<c>--Kafka:Mode=External</c>).</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Run the Aspire dashboard too (the dashboard test); off by default, as Aspire.Hosting.Testing has it.</summary>
    public bool WithDashboard { get; init; }

    /// <summary>
    /// Changes to the app host's model after the resources were trimmed, before it is built: a resource of the test's
    /// own (an executable that references the broker), a logger provider that records the app host's log.
    /// </summary>
    public Action<IDistributedApplicationTestingBuilder>? ConfigureBuilder { get; init; }

    /// <summary>
    /// Wait until every resource is healthy before StartAsync returns (the default); false for a test that expects a
    /// resource to fail and inspects its state and logs itself.
    /// </summary>
    public bool WaitUntilHealthy { get; init; } = true;

    /// <summary>How long the whole system may take to be healthy.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(3);
}
