using System.Net;
using System.Text.Json;
using Checkout.Contracts;
using Checkout.Testing.AppHost;

namespace Checkout.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class CheckoutThroughHttpTests(GatewayFixture fixture)
{
    [Fact]
    public async Task A_checkout_driven_over_http_is_placed_confirmed_and_read_back_aggregated()
    {
        var token = await fixture.DevTokenAsync(GatewayFixture.NewCustomer("http-saga"));

        using var page = await fixture.SendAsync(HttpMethod.Get, "/api/products?pageSize=5");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var products = (await GatewayFixture.ReadJsonAsync(page)).RootElement;
        Assert.Equal(5, products.GetProperty("products").GetArrayLength());
        Assert.All(products.GetProperty("products").EnumerateArray(), product => Assert.True(product.GetProperty("available").GetInt64() >= 0));
        Assert.Equal(0, products.GetProperty("missing").GetArrayLength());
        Assert.False(string.IsNullOrEmpty(products.GetProperty("nextPageToken").GetString()));

        using var product = await fixture.SendAsync(HttpMethod.Get, "/api/products/SKU-1003");
        var detail = (await GatewayFixture.ReadJsonAsync(product)).RootElement;
        Assert.Equal(5990, detail.GetProperty("unitPriceMinor").GetInt64());
        var availableBefore = detail.GetProperty("available").GetInt64();

        using var placed = await fixture.SendAsync(HttpMethod.Post, "/api/orders", token,
            GatewayFixture.OrderJson("tok_visa", ("SKU-1003", 2), ("SKU-1004", 1)), idempotencyKey: Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.Accepted, placed.StatusCode);
        var orderId = (await GatewayFixture.ReadJsonAsync(placed)).RootElement.GetProperty("orderId").GetString()!;
        var location = placed.Headers.Location!.ToString();
        Assert.Equal($"/api/orders/{orderId}", location);

        var view = await fixture.WaitForViewAsync(token, location,
            v => v.GetProperty("order").GetProperty("status").GetString() == "confirmed" && v.GetProperty("notifications").GetArrayLength() > 0,
            "confirmed with its notification");
        var order = view.GetProperty("order");
        Assert.Equal((2 * 5990) + 3490, order.GetProperty("totalMinor").GetInt64());
        Assert.Equal("EUR", order.GetProperty("currency").GetString());
        var steps = order.GetProperty("timeline").EnumerateArray().Select(entry => entry.GetProperty("step").GetString()).ToList();
        Assert.Contains("placed", steps);
        Assert.Contains("confirmed", steps);
        Assert.Equal("captured", view.GetProperty("payment").GetProperty("status").GetString());
        Assert.Equal(order.GetProperty("totalMinor").GetInt64(), view.GetProperty("payment").GetProperty("amountMinor").GetInt64());
        Assert.Equal("order-confirmed", view.GetProperty("notifications")[0].GetProperty("kind").GetString());
        Assert.Equal(0, view.GetProperty("missing").GetArrayLength());

        using var after = await fixture.SendAsync(HttpMethod.Get, "/api/products/SKU-1003");
        Assert.Equal(availableBefore - 2, (await GatewayFixture.ReadJsonAsync(after)).RootElement.GetProperty("available").GetInt64());

        using var list = await fixture.SendAsync(HttpMethod.Get, "/api/orders?pageSize=10", token);
        var listed = (await GatewayFixture.ReadJsonAsync(list)).RootElement.GetProperty("orders");
        Assert.Equal(orderId, Assert.Single(listed.EnumerateArray()).GetProperty("orderId").GetString());

        using var cancelled = await fixture.SendAsync(HttpMethod.Post, $"/api/orders/{orderId}/cancel", token);
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal("cancelled", (await GatewayFixture.ReadJsonAsync(cancelled)).RootElement.GetProperty("status").GetString());
        await fixture.WaitForViewAsync(token, location,
            v => v.GetProperty("payment").GetProperty("status").GetString() == "refunded", "refunded after the cancellation");
    }

    [Fact]
    public async Task The_correlation_id_is_taken_or_made_returned_put_in_problems_and_logged()
    {
        var offered = "corr-" + Guid.NewGuid().ToString("N");
        using var rejected = await fixture.SendAsync(HttpMethod.Get, "/api/orders", "not-a-token",
            headers: [new("X-Correlation-ID", offered)]);
        Assert.Equal(offered, Assert.Single(rejected.Headers.GetValues("X-Correlation-ID")));
        var problem = await GatewayFixture.AssertProblemAsync(rejected, HttpStatusCode.Unauthorized, "a garbage token");
        Assert.Equal(offered, problem.GetProperty("correlationId").GetString());
        // The rejection is logged inside the request's scope: a console line of the gateway's, read through the app
        // model as the dashboard reads it (the console logger writes in the background: wait for it, bounded).
        await fixture.App.WaitForConsoleLineAsync(ServiceNames.Gateway,
            line => line.Contains("Bearer token rejected", StringComparison.Ordinal) && line.Contains("CorrelationId:" + offered, StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        using var made = await fixture.SendAsync(HttpMethod.Get, "/api/products/SKU-1001", headers: [new("X-Correlation-ID", "spaces, commas; and {braces} are not accepted")]);
        Assert.Equal(HttpStatusCode.OK, made.StatusCode);
        var created = Assert.Single(made.Headers.GetValues("X-Correlation-ID"));
        Assert.Matches("^[0-9a-f]{32}$", created);
    }
}
