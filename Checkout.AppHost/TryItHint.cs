using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Checkout.AppHost;

/// <summary>
/// Once the gateway is healthy, prints its address and the curl commands that place an order with a development
/// token, next to the dashboard's login URL that Aspire prints: the two things a newcomer looks for first.
/// </summary>
internal static class TryItHint
{
    public static IResourceBuilder<ProjectResource> WithTryItHint(this IResourceBuilder<ProjectResource> gateway) =>
        gateway.OnResourceReady(static (resource, @event, _) =>
        {
            var url = resource.GetEndpoint("http").Url;
            var logger = @event.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Checkout.AppHost");
            logger.LogInformation(
                """
                The gateway is ready at {GatewayUrl} (OpenAPI: {GatewayUrl}/openapi/v1.json). Try it:
                      TOKEN=$(curl -s -X POST {GatewayUrl}/dev/token -H 'Content-Type: application/json' -d '{{"customerId":"alice"}}' | sed -E 's/.*"accessToken":"([^"]+)".*/\1/')
                      curl -s {GatewayUrl}/api/products
                      curl -s -i -X POST {GatewayUrl}/api/orders -H "Authorization: Bearer $TOKEN" -H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" -H 'Content-Type: application/json' -d '{{"lines":[{{"sku":"SKU-1001","quantity":1}}],"paymentToken":"tok_visa"}}'
                """,
                url, url, url, url, url);
            return Task.CompletedTask;
        });
}
