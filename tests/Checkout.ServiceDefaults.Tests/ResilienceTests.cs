using System.Net;

namespace Checkout.ServiceDefaults.Tests;

/// <summary>
/// The standard resilience handler AddServiceDefaults puts on every HttpClient, against real Kestrel servers that
/// answer 503: which requests it retries, and that each retry resolves the service's address again.
/// </summary>
public sealed class ResilienceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("GET")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task A_transient_503_of_an_idempotent_request_is_retried_with_its_body_and_then_succeeds(string method)
    {
        await using var inventory = await RecordingServer.StartAsync("inventory-0", failures: 1);
        using var host = new ClientHost(new Dictionary<string, string?> { ["services:inventory:http:0"] = inventory.Address.ToString() });
        using var client = host.CreateClient("inventory", new Uri("http://inventory"));

        using var response = await client.SendAsync(Request(method, "/stock/SKU-1001", "reserve 3"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([new(method, "/stock/SKU-1001", "reserve 3"), new(method, "/stock/SKU-1001", "reserve 3")], inventory.Requests);
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PATCH")]
    public async Task A_503_of_a_request_the_server_may_have_acted_on_is_not_retried(string method)
    {
        await using var orders = await RecordingServer.StartAsync("orders-0", failures: int.MaxValue);
        using var host = new ClientHost(new Dictionary<string, string?> { ["services:orders:http:0"] = orders.Address.ToString() });
        using var client = host.CreateClient("orders", new Uri("http://orders"));

        using var response = await client.SendAsync(Request(method, "/orders", "place order 42"), Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Single(orders.Requests);
    }

    [Fact]
    public async Task A_retry_resolves_the_service_again_and_so_reaches_the_other_replica()
    {
        await using var failing = await RecordingServer.StartAsync("failing", failures: int.MaxValue);
        await using var healthy = await RecordingServer.StartAsync("healthy");
        using var host = new ClientHost(new Dictionary<string, string?>
        {
            ["services:inventory:http:0"] = failing.Address.ToString(),
            ["services:inventory:http:1"] = healthy.Address.ToString(),
        });
        using var client = host.CreateClient("inventory", new Uri("http://inventory"));

        // Whichever replica the first attempt reaches, every request ends at the healthy one, within one retry.
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal($"healthy /stock?attempt={i}", await client.GetStringAsync($"/stock?attempt={i}", Ct));
        }

        Assert.Equal(4, healthy.Requests.Count);
        Assert.InRange(failing.Requests.Count, 1, 4);
    }

    private static HttpRequestMessage Request(string method, string path, string body) =>
        new(new HttpMethod(method), path) { Content = new StringContent(body) };
}
