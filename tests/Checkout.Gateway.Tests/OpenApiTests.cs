using System.Net;
using System.Text.Json;

namespace Checkout.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class OpenApiTests(GatewayFixture fixture)
{
    [Fact]
    public async Task The_document_lists_every_endpoint_with_its_request_and_response_shapes()
    {
        using var response = await fixture.SendAsync(HttpMethod.Get, "/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = (await GatewayFixture.ReadJsonAsync(response)).RootElement;
        var paths = document.GetProperty("paths");
        var endpoints = new (string Path, string Method, bool HasBody, string Success)[]
        {
            ("/api/products", "get", false, "200"),
            ("/api/products/{sku}", "get", false, "200"),
            ("/api/orders", "post", true, "202"),
            ("/api/orders", "get", false, "200"),
            ("/api/orders/{id}", "get", false, "200"),
            ("/api/orders/{id}/cancel", "post", false, "200"),
            ("/api/admin/stock/{sku}", "post", true, "200"),
        };
        foreach (var (path, method, hasBody, success) in endpoints)
        {
            Assert.True(paths.TryGetProperty(path, out var item) && item.TryGetProperty(method, out _), $"{method} {path} is not documented");
            var operation = item.GetProperty(method);
            var responses = operation.GetProperty("responses");
            Assert.True(HasSchema(responses.GetProperty(success), "application/json"), $"{method} {path}: {success} has no JSON schema");
            Assert.True(responses.EnumerateObject().Any(r => r.Name.StartsWith('4') && HasSchema(r.Value, "application/problem+json")), $"{method} {path}: no problem shape");
            if (hasBody)
                Assert.True(HasSchema(operation.GetProperty("requestBody"), "application/json"), $"{method} {path}: no request body schema");
        }

        var placeOrder = paths.GetProperty("/api/orders").GetProperty("post");
        Assert.Contains(placeOrder.GetProperty("parameters").EnumerateArray(),
            parameter => parameter.GetProperty("name").GetString() == "Idempotency-Key" && parameter.GetProperty("in").GetString() == "header");
        var schemas = document.GetProperty("components").GetProperty("schemas");
        foreach (var shape in new[] { "PlaceOrderBody", "OrderAccepted", "OrderView", "OrderResponse", "PaymentResponse", "ProductPage", "ProductDetail", "StockLevelResponse", "RestockBody" })
            Assert.True(schemas.TryGetProperty(shape, out _), $"schema {shape} missing");
        Assert.True(schemas.GetProperty("OrderView").GetProperty("properties").TryGetProperty("missing", out _));
    }

    private static bool HasSchema(JsonElement holder, string mediaType) =>
        holder.TryGetProperty("content", out var content) && content.TryGetProperty(mediaType, out var media) && media.TryGetProperty("schema", out _);
}
