using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;

namespace Checkout.ServiceDefaults.Tests;

/// <summary>
/// Service discovery as AddServiceDefaults sets it up for every HttpClient: a service is addressed by its name and
/// found in configuration (services__{name}__{endpoint}__{index}, set by the app host), against real Kestrel replicas.
/// </summary>
public sealed class ServiceDiscoveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_client_for_http_inventory_reaches_the_endpoint_configured_for_inventory()
    {
        await using var inventory = await RecordingServer.StartAsync("inventory-0");
        await using var payments = await RecordingServer.StartAsync("payments-0");
        using var host = new ClientHost(new Dictionary<string, string?>
        {
            ["services:inventory:http:0"] = inventory.Address.ToString(),
            ["services:payments:http:0"] = payments.Address.ToString(),
        });
        using var client = host.CreateClient("inventory", new Uri("http://inventory"));

        var answer = await client.GetStringAsync("/stock/SKU-1001?warehouse=2", Ct);

        Assert.Equal("inventory-0 /stock/SKU-1001?warehouse=2", answer);
        Assert.Single(inventory.Requests);
        Assert.Empty(payments.Requests);
    }

    [Fact]
    public async Task Requests_take_turns_over_the_two_configured_replicas()
    {
        await using var first = await RecordingServer.StartAsync("first");
        await using var second = await RecordingServer.StartAsync("second");
        using var host = new ClientHost(new Dictionary<string, string?>
        {
            ["services:inventory:http:0"] = first.Address.ToString(),
            ["services:inventory:http:1"] = second.Address.ToString(),
        });
        using var client = host.CreateClient("inventory", new Uri("http://inventory"));

        var answers = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add((await client.GetStringAsync($"/whoami?attempt={i}", Ct)).Split(' ')[0]);
        }

        // Round robin: each replica gets every other request, whichever it starts with.
        Assert.Equal(2, first.Requests.Count);
        Assert.Equal(2, second.Requests.Count);
        Assert.NotEqual(answers[0], answers[1]);
        Assert.Equal(answers[0], answers[2]);
        Assert.Equal(answers[1], answers[3]);
    }

    [Fact]
    public async Task Https_plus_http_falls_back_to_the_http_endpoint_when_no_https_one_is_configured()
    {
        await using var inventory = await RecordingServer.StartAsync("inventory-0");
        using var host = new ClientHost(new Dictionary<string, string?> { ["services:inventory:http:0"] = inventory.Address.ToString() });
        using var client = host.CreateClient("inventory", new Uri("https+http://inventory"));

        var answer = await client.GetStringAsync("/stock", Ct);

        Assert.Equal("inventory-0 /stock", answer);
    }

    [Fact]
    public async Task A_service_with_no_configured_endpoint_fails_naming_the_host_it_could_not_find()
    {
        await using var inventory = await RecordingServer.StartAsync("inventory-0");
        using var host = new ClientHost(
            new Dictionary<string, string?> { ["services:inventory:http:0"] = inventory.Address.ToString() },
            // The standard handler retries a failed lookup three times; the test need not wait out its back-off.
            services => services.ConfigureAll<HttpStandardResilienceOptions>(options => options.Retry.Delay = TimeSpan.FromMilliseconds(1)));
        using var client = host.CreateClient("payments", new Uri("http://payments"));

        // A name that configuration does not know passes through to DNS (as an IP address or an external host does),
        // and DNS does not know it either.
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/charges", Ct));

        Assert.Equal(HttpRequestError.NameResolutionError, error.HttpRequestError);
        Assert.Contains("(payments:80)", error.Message);
        Assert.Empty(inventory.Requests);
    }
}
