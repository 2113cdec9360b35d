using System.Net;
using System.Text;

namespace Checkout.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class BadInputTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Bad_input_gets_a_4xx_problem_never_a_5xx_and_nothing_is_stored()
    {
        var customer = GatewayFixture.NewCustomer("bad-input");
        var token = await fixture.DevTokenAsync(customer);
        var admin = await fixture.DevTokenAsync(GatewayFixture.NewCustomer("bad-input-admin"), admin: true);
        const string order = "/api/orders";
        var valid = GatewayFixture.OrderJson("tok_visa", ("SKU-1001", 1));
        var cases = new (string Name, HttpMethod Method, string Path, string? Token, string? Json, string? Key, HttpStatusCode Status, string? Field)[]
        {
            ("malformed JSON", HttpMethod.Post, order, token, """{"lines": [""", Key(), HttpStatusCode.BadRequest, null),
            ("quantity of the wrong type", HttpMethod.Post, order, token, """{"lines":[{"sku":"SKU-1001","quantity":"two"}],"paymentToken":"tok_visa"}""", Key(), HttpStatusCode.BadRequest, "lines[0].quantity"),
            ("lines of the wrong type", HttpMethod.Post, order, token, """{"lines":5,"paymentToken":"tok_visa"}""", Key(), HttpStatusCode.BadRequest, "lines"),
            ("fractional quantity", HttpMethod.Post, order, token, """{"lines":[{"sku":"SKU-1001","quantity":1.5}],"paymentToken":"tok_visa"}""", Key(), HttpStatusCode.BadRequest, "lines[0].quantity"),
            ("quantity beyond int32", HttpMethod.Post, order, token, """{"lines":[{"sku":"SKU-1001","quantity":99999999999}],"paymentToken":"tok_visa"}""", Key(), HttpStatusCode.BadRequest, "lines[0].quantity"),
            ("empty object", HttpMethod.Post, order, token, "{}", Key(), HttpStatusCode.BadRequest, "lines"),
            ("missing payment token", HttpMethod.Post, order, token, """{"lines":[{"sku":"SKU-1001","quantity":1}]}""", Key(), HttpStatusCode.BadRequest, "paymentToken"),
            ("missing sku", HttpMethod.Post, order, token, """{"lines":[{"quantity":1}],"paymentToken":"tok_visa"}""", Key(), HttpStatusCode.BadRequest, "lines[0].sku"),
            ("empty lines", HttpMethod.Post, order, token, """{"lines":[],"paymentToken":"tok_visa"}""", Key(), HttpStatusCode.BadRequest, "lines"),
            ("negative quantity", HttpMethod.Post, order, token, GatewayFixture.OrderJson("tok_visa", ("SKU-1001", -3)), Key(), HttpStatusCode.BadRequest, "lines[0].quantity"),
            ("zero quantity", HttpMethod.Post, order, token, GatewayFixture.OrderJson("tok_visa", ("SKU-1001", 0)), Key(), HttpStatusCode.BadRequest, "lines[0].quantity"),
            ("huge quantity", HttpMethod.Post, order, token, GatewayFixture.OrderJson("tok_visa", ("SKU-1001", 1_000_000)), Key(), HttpStatusCode.BadRequest, "lines[0].quantity"),
            ("duplicate SKUs", HttpMethod.Post, order, token, GatewayFixture.OrderJson("tok_visa", ("SKU-1001", 1), ("SKU-1001", 2)), Key(), HttpStatusCode.BadRequest, "lines[1].sku"),
            ("malformed SKU", HttpMethod.Post, order, token, GatewayFixture.OrderJson("tok_visa", ("sku 1001", 1)), Key(), HttpStatusCode.BadRequest, "lines[0].sku"),
            ("too many lines", HttpMethod.Post, order, token, GatewayFixture.OrderJson("tok_visa", [.. Enumerable.Range(0, 51).Select(i => ($"SKU-{i}", 1))]), Key(), HttpStatusCode.BadRequest, "lines"),
            ("unknown field", HttpMethod.Post, order, token, """{"lines":[{"sku":"SKU-1001","quantity":1}],"paymentToken":"tok_visa","priceMinor":1}""", Key(), HttpStatusCode.BadRequest, "priceMinor"),
            ("JSON null body", HttpMethod.Post, order, token, "null", Key(), HttpStatusCode.BadRequest, null),
            ("oversized body", HttpMethod.Post, order, token, GatewayFixture.OrderJson(new string('x', 100 * 1024), ("SKU-1001", 1)), Key(), HttpStatusCode.RequestEntityTooLarge, null),
            ("unknown SKU", HttpMethod.Post, order, token, GatewayFixture.OrderJson("tok_visa", ("SKU-9999", 1)), Key(), HttpStatusCode.UnprocessableEntity, "lines"),
            ("missing Idempotency-Key", HttpMethod.Post, order, token, valid, null, HttpStatusCode.BadRequest, "Idempotency-Key"),
            ("oversized Idempotency-Key", HttpMethod.Post, order, token, valid, new string('k', 129), HttpStatusCode.BadRequest, "Idempotency-Key"),
            ("huge page size", HttpMethod.Get, order + "?pageSize=100000", token, null, null, HttpStatusCode.BadRequest, "pageSize"),
            ("negative page size", HttpMethod.Get, order + "?pageSize=-1", token, null, null, HttpStatusCode.BadRequest, "pageSize"),
            ("page size not a number", HttpMethod.Get, order + "?pageSize=lots", token, null, null, HttpStatusCode.BadRequest, null),
            ("forged page token", HttpMethod.Get, order + "?pageToken=forged", token, null, null, HttpStatusCode.BadRequest, null),
            ("huge product page size", HttpMethod.Get, "/api/products?pageSize=100000", null, null, null, HttpStatusCode.BadRequest, "pageSize"),
            ("malformed order id", HttpMethod.Get, order + "/not-a-uuid", token, null, null, HttpStatusCode.BadRequest, "id"),
            ("malformed order id to cancel", HttpMethod.Post, order + "/not-a-uuid/cancel", token, null, null, HttpStatusCode.BadRequest, "id"),
            ("order id in braces (a UUID, not in the services' form)", HttpMethod.Get, order + $"/{{{Guid.NewGuid()}}}", token, null, null, HttpStatusCode.BadRequest, "id"),
            ("unknown order", HttpMethod.Get, order + "/" + Guid.NewGuid(), token, null, null, HttpStatusCode.NotFound, null),
            ("malformed SKU in the path", HttpMethod.Get, "/api/products/sku-1001", null, null, null, HttpStatusCode.BadRequest, "sku"),
            ("unknown product", HttpMethod.Get, "/api/products/SKU-9999", null, null, null, HttpStatusCode.NotFound, null),
            ("negative restock", HttpMethod.Post, "/api/admin/stock/SKU-1001", admin, """{"quantity":-5}""", null, HttpStatusCode.BadRequest, "quantity"),
            ("restock of a malformed SKU", HttpMethod.Post, "/api/admin/stock/bad%20sku", admin, """{"quantity":5}""", null, HttpStatusCode.BadRequest, "sku"),
        };

        foreach (var (name, method, path, caller, json, key, status, field) in cases)
        {
            using var response = await fixture.SendAsync(method, path, caller, json, key);
            var problem = await GatewayFixture.AssertProblemAsync(response, status, name);
            if (field is not null)
                Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out _), $"{name}: no error for {field} in {problem}");
        }

        using var notJson = new HttpRequestMessage(HttpMethod.Post, order) { Content = new StringContent("lines=1", Encoding.UTF8, "text/plain") };
        notJson.Headers.Authorization = new("Bearer", token);
        notJson.Headers.Add("Idempotency-Key", Key());
        using var unsupported = await fixture.Http.SendAsync(notJson, TestContext.Current.CancellationToken);
        await GatewayFixture.AssertProblemAsync(unsupported, HttpStatusCode.UnsupportedMediaType, "a body that is not JSON");

        using var orders = await fixture.SendAsync(HttpMethod.Get, order, token);
        Assert.Equal(0, (await GatewayFixture.ReadJsonAsync(orders)).RootElement.GetProperty("orders").GetArrayLength());
    }

    private static string Key() => Guid.NewGuid().ToString();
}
