using System.Net;

namespace Checkout.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class IdempotencyTests(GatewayFixture fixture)
{
    [Fact]
    public async Task The_same_key_and_body_twice_gives_one_order_and_the_same_answer()
    {
        var token = await fixture.DevTokenAsync(GatewayFixture.NewCustomer("idem"));
        var key = Guid.NewGuid().ToString();
        var body = GatewayFixture.OrderJson("tok_visa", ("SKU-1006", 1));
        using var first = await fixture.SendAsync(HttpMethod.Post, "/api/orders", token, body, key);
        using var retry = await fixture.SendAsync(HttpMethod.Post, "/api/orders", token, body, key);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal(first.Headers.Location, retry.Headers.Location);
        Assert.Equal(await first.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), await retry.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(1, await OrderCountAsync(token));
    }

    [Fact]
    public async Task The_same_key_concurrently_gives_one_order_and_the_same_answer()
    {
        var token = await fixture.DevTokenAsync(GatewayFixture.NewCustomer("idem-race"));
        var key = Guid.NewGuid().ToString();
        var body = GatewayFixture.OrderJson("tok_visa", ("SKU-1007", 1), ("SKU-1008", 1));
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => fixture.SendAsync(HttpMethod.Post, "/api/orders", token, body, key)));
        try
        {
            foreach (var response in responses)
                Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
            Assert.Single(responses.Select(response => response.Headers.Location).Distinct());
            Assert.Equal(1, await OrderCountAsync(token));
        }
        finally
        {
            foreach (var response in responses)
                response.Dispose();
        }
    }

    [Fact]
    public async Task The_same_key_with_another_body_gets_422_and_changes_nothing()
    {
        var token = await fixture.DevTokenAsync(GatewayFixture.NewCustomer("idem-other"));
        var key = Guid.NewGuid().ToString();
        using var first = await fixture.SendAsync(HttpMethod.Post, "/api/orders", token, GatewayFixture.OrderJson("tok_visa", ("SKU-1009", 1)), key);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);

        using var other = await fixture.SendAsync(HttpMethod.Post, "/api/orders", token, GatewayFixture.OrderJson("tok_visa", ("SKU-1009", 2)), key);
        var problem = await GatewayFixture.AssertProblemAsync(other, HttpStatusCode.UnprocessableEntity, "same key, other body");
        Assert.Contains("Idempotency-Key", problem.GetProperty("detail").GetString());
        Assert.Equal(1, await OrderCountAsync(token));
    }

    private async Task<int> OrderCountAsync(string token)
    {
        using var response = await fixture.SendAsync(HttpMethod.Get, "/api/orders?pageSize=100", token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await GatewayFixture.ReadJsonAsync(response)).RootElement.GetProperty("orders").GetArrayLength();
    }
}
