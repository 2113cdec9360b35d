using Aspire.Hosting.Testing;
using Microsoft.Extensions.Logging;

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

    /// <summary>
    /// Changes to the model once it is trimmed to <see cref="Resources"/> and before the settings above are applied: for
    /// example another instance of a project (<c>builder.AddProject(...)</c>, with <c>WithExplicitStart()</c> to start it
    /// later through <see cref="CheckoutApp.StartAsync(string, CancellationToken)"/>), or a logging provider. A project
    /// added here gets <see cref="Environment"/> under its own name; name it in <see cref="Resources"/> to wait for it.
    /// Add a project as Program.cs does, <c>AddProject&lt;Projects.Checkout_Orders&gt;(name)</c>: the metadata generated for
    /// the app host runs it as built (dotnet run --no-build), where <c>AddProject(name, path)</c> builds it at every start.
    /// </summary>
    public Action<IDistributedApplicationTestingBuilder>? Configure { get; init; }

    /// <summary>
    /// Projects served without DCP's proxy, each endpoint on a port fixed for the app's lifetime: for a test that stops
    /// one and needs its callers to find it down (connections refused) rather than slow (the proxy holds them until the
    /// project is back). A <see cref="CheckoutApp.Channel"/> to such a project sees its restart: after refused
    /// connections Grpc.Net.Client backs off before it connects again.
    /// </summary>
    public IReadOnlyList<string> DirectEndpoints { get; init; } = [];

    /// <summary>Extra app host settings, as command-line arguments (<c>--Kafka:Mode=External</c>).</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Run the Aspire dashboard too (the dashboard test); off by default, as Aspire.Hosting.Testing has it.</summary>
    public bool WithDashboard { get; init; }

    /// <summary>The least level the app host logs at, its resources' console lines included (a benchmark wants Warning).</summary>
    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Information;

    /// <summary>
    /// Wait until every resource is healthy before <see cref="CheckoutApp.StartAsync"/> returns (the default). False
    /// returns once the app has started, for a test that watches a resource fail to start: its exit code and console
    /// lines stay readable through the app model (<see cref="ResourceOutput"/>) until the app is disposed.
    /// </summary>
    public bool WaitUntilHealthy { get; init; } = true;

    /// <summary>How long the whole system may take to be healthy.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(3);
}
