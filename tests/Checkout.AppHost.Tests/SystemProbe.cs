using System.Text.RegularExpressions;
using Checkout.Contracts;
using Checkout.Testing.AppHost;
using Confluent.Kafka;
using Npgsql;

namespace Checkout.AppHost.Tests;

/// <summary>
/// Looks at a running app host's system from outside, as an operator would: which processes run (from the process
/// table) and whether each resource answers (each service's /health, each database its connection string names, the
/// broker's metadata). Nothing here asks the app host, so nothing here can be fooled by what it says of itself.
/// </summary>
internal static partial class SystemProbe
{
    /// <summary>
    /// Asserts that <paramref name="system"/> holds DCP (API server and controllers), the dashboard, PostgreSQL on
    /// <paramref name="dataDirectory"/> and the six services (their own processes, below DCP's <c>dotnet run</c>).
    /// </summary>
    public static void AssertHoldsEveryKind(IReadOnlyList<ProcessTable.Entry> system, string dataDirectory)
    {
        var listing = string.Join(Environment.NewLine, system);
        Assert.True(system.Any(entry => entry.CommandLine.Contains("/dcp start-apiserver ", StringComparison.Ordinal)), "No DCP API server in:" + Environment.NewLine + listing);
        Assert.True(system.Any(entry => entry.CommandLine.Contains("/dcp run-controllers ", StringComparison.Ordinal)), "No DCP controllers in:" + Environment.NewLine + listing);
        Assert.True(system.Any(entry => entry.CommandLine.Contains("/Aspire.Dashboard", StringComparison.Ordinal)), "No dashboard in:" + Environment.NewLine + listing);
        Assert.True(PostgresServer(system, dataDirectory) is not null, $"No PostgreSQL server on {dataDirectory} in:{Environment.NewLine}{listing}");
        foreach (var service in CheckoutApp.Services)
            Assert.True(ServiceProcess(system, service) is not null, $"No {service} process in:{Environment.NewLine}{listing}");
    }

    /// <summary>
    /// Asserts that every resource runs and is healthy: each service answers /health with Healthy on the address its
    /// environment gives it; each database named in a service's ConnectionStrings__* accepts a connection and is that
    /// database; the broker named in ConnectionStrings__kafka serves the saga's topics and their .dlq.
    /// </summary>
    public static async Task AssertEveryResourceHealthyAsync(IReadOnlyList<ProcessTable.Entry> system, string dataDirectory, CancellationToken cancellationToken)
    {
        AssertHoldsEveryKind(system, dataDirectory);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var databases = new SortedSet<string>(StringComparer.Ordinal);
        string? kafka = null;
        foreach (var service in CheckoutApp.Services)
        {
            var process = ServiceProcess(system, service)!;
            var environment = ProcessTable.Environment(process.Pid);
            var health = new Uri(new Uri(HttpAddress(service, environment)), "/health");
            using var response = await http.GetAsync(health, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            Assert.True(response.IsSuccessStatusCode && body.Contains("\"status\":\"Healthy\"", StringComparison.Ordinal), $"{service} at {health}: {(int)response.StatusCode} {body}");

            foreach (var (name, value) in environment.Where(variable => variable.Key.StartsWith("ConnectionStrings__", StringComparison.Ordinal)))
            {
                var resource = name["ConnectionStrings__".Length..];
                if (resource == "kafka")
                {
                    kafka = value;
                    continue;
                }

                await using var connection = new NpgsqlConnection(value);
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("SELECT current_database()", connection);
                Assert.Equal(resource, (string?)await command.ExecuteScalarAsync(cancellationToken));
                databases.Add(resource);
            }
        }

        Assert.Equal(
            new SortedSet<string>([DatabaseNames.Catalog, DatabaseNames.Orders, DatabaseNames.Inventory, DatabaseNames.Payments, DatabaseNames.Notifications], StringComparer.Ordinal),
            databases);
        Assert.NotNull(kafka);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = kafka }).Build();
        var topics = admin.GetMetadata(TimeSpan.FromSeconds(20)).Topics.Select(topic => topic.Topic).ToHashSet(StringComparer.Ordinal);
        foreach (var topic in Topics.All)
        {
            Assert.Contains(topic, topics);
            Assert.Contains(Topics.DeadLetter(topic), topics);
        }
    }

    /// <summary>The PostgreSQL server process itself (not the shell in front of it) running on <paramref name="dataDirectory"/>.</summary>
    public static ProcessTable.Entry? PostgresServer(IReadOnlyList<ProcessTable.Entry> system, string dataDirectory) =>
        system.FirstOrDefault(entry => entry.CommandLine.StartsWith('/') && entry.CommandLine.Contains($"postgres -D {dataDirectory} ", StringComparison.Ordinal));

    /// <summary>The service's own process: its executable in its build output, which DCP's <c>dotnet run</c> starts.</summary>
    public static ProcessTable.Entry? ServiceProcess(IReadOnlyList<ProcessTable.Entry> system, string service)
    {
        var executable = $"/Checkout.{char.ToUpperInvariant(service[0])}{service[1..]}";
        return system.FirstOrDefault(entry => entry.CommandLine.Split(' ')[0] is var program
            && (program.EndsWith(executable, StringComparison.Ordinal) || program.EndsWith(executable + ".dll", StringComparison.Ordinal)));
    }

    // Under the app host a project's endpoints come as Kestrel endpoint settings (or ASPNETCORE_URLS); "http" serves the probes.
    private static string HttpAddress(string service, IReadOnlyDictionary<string, string> environment)
    {
        if (environment.TryGetValue("Kestrel__Endpoints__http__Url", out var url))
            return LocalHost().Replace(url, "127.0.0.1");
        if (environment.TryGetValue("ASPNETCORE_URLS", out var urls))
            return LocalHost().Replace(urls.Split(';')[0], "127.0.0.1");
        throw new InvalidOperationException($"The environment of {service} names no http address: {string.Join(", ", environment.Keys.Order())}");
    }

    [GeneratedRegex(@"(?<=://)(localhost|\*|\+|0\.0\.0\.0|\[::\])")]
    private static partial Regex LocalHost();
}
