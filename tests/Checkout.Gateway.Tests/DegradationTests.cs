using System.Net;
using Checkout.Contracts;

namespace Checkout.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class DegradationTests(GatewayFixture fixture)
{
    [Fact]
    public async Task With_Payments_down_the_order_view_answers_with_the_order_and_names_the_missing_payment()
    {
        var token = await fixture.DevTokenAsync(GatewayFixture.NewCustomer("payments-down"));
        using var placed = await fixture.SendAsync(HttpMethod.Post, "/api/orders", token,
            GatewayFixture.OrderJson("tok_visa", ("SKU-1010", 1)), Guid.NewGuid().ToString());
        var location = placed.Headers.Location!.ToString();
        await fixture.WaitForViewAsync(token, location, v => v.GetProperty("order").GetProperty("status").GetString() == "confirmed", "confirmed");

        await fixture.App.StopAsync(ServiceNames.Payments, TestContext.Current.CancellationToken);
        try
        {
            using var response = await fixture.SendAsync(HttpMethod.Get, location, token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var view = (await GatewayFixture.ReadJsonAsync(response)).RootElement;
            Assert.Equal("confirmed", view.GetProperty("order").GetProperty("status").GetString());
            Assert.Equal(System.Text.Json.JsonValueKind.Null, view.GetProperty("payment").ValueKind);
            Assert.Equal(["payment"], view.GetProperty("missing").EnumerateArray().Select(part => part.GetString()));
        }
        finally
        {
            await fixture.App.StartAsync(ServiceNames.Payments, TestContext.Current.CancellationToken);
        }

        await fixture.WaitForViewAsync(token, location, v => v.GetProperty("missing").GetArrayLength() == 0, "whole again once Payments is back");
    }

    [Fact]
    public async Task With_Orders_down_placing_an_order_fails_fast_with_503_and_Retry_After()
    {
        var token = await fixture.DevTokenAsync(GatewayFixture.NewCustomer("orders-down"));
        await fixture.App.StopAsync(ServiceNames.Orders, TestContext.Current.CancellationToken);
        try
        {
            using var response = await fixture.SendAsync(HttpMethod.Post, "/api/orders", token,
                GatewayFixture.OrderJson("tok_visa", ("SKU-1011", 1)), Guid.NewGuid().ToString());
            await GatewayFixture.AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "POST with Orders down");
            Assert.Equal(GatewayFixture.UnavailableRetryAfter, response.Headers.RetryAfter?.Delta);
        }
        finally
        {
            await fixture.App.StartAsync(ServiceNames.Orders, TestContext.Current.CancellationToken);
        }

        // Back once Orders is (the gateway's circuit breaker, if it opened, closes again).
        await GatewayFixture.WaitForStatusAsync(() => fixture.SendAsync(HttpMethod.Get, "/api/orders", token), HttpStatusCode.OK, "Orders back");
    }
}
