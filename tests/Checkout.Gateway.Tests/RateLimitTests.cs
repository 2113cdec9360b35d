using System.Net;

namespace Checkout.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class RateLimitTests(GatewayFixture fixture)
{
    [Fact]
    public async Task A_burst_above_the_limit_gets_429_with_Retry_After_and_the_limit_recovers()
    {
        var token = await fixture.DevTokenAsync(GatewayFixture.NewCustomer("burst"));
        // More than two windows' permits: a burst that straddles a window boundary still has some refused.
        var responses = await Task.WhenAll(Enumerable.Range(0, 2 * GatewayFixture.RateLimitPermits + 20)
            .Select(_ => fixture.SendAsync(HttpMethod.Get, "/api/orders", token)));
        try
        {
            var rejected = responses.Where(response => response.StatusCode == HttpStatusCode.TooManyRequests).ToList();
            Assert.All(responses, response => Assert.Contains(response.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
            // At most one window's permits pass (two if the burst straddles a window boundary).
            Assert.InRange(responses.Length - rejected.Count, 1, 2 * GatewayFixture.RateLimitPermits);
            Assert.NotEmpty(rejected);
            foreach (var response in rejected)
            {
                var retryAfter = response.Headers.RetryAfter?.Delta;
                Assert.NotNull(retryAfter);
                Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), GatewayFixture.RateLimitWindow);
                await GatewayFixture.AssertProblemAsync(response, HttpStatusCode.TooManyRequests, "over the limit");
            }
        }
        finally
        {
            foreach (var response in responses)
                response.Dispose();
        }

        // The limit is per caller: someone else is served meanwhile.
        using var other = await fixture.SendAsync(HttpMethod.Get, "/api/orders", await fixture.DevTokenAsync(GatewayFixture.NewCustomer("bystander")));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        await GatewayFixture.WaitForStatusAsync(() => fixture.SendAsync(HttpMethod.Get, "/api/orders", token), HttpStatusCode.OK, "the limit recovering");
    }
}
