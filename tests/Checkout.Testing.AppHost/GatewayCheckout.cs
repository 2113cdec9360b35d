using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Checkout.Testing.AppHost;

/// <summary>
/// One checkout through the gateway's HTTP/JSON API, as the README's curl lines place it: a development token from
/// POST /dev/token, POST /api/orders with an Idempotency-Key, then GET of its Location until the saga has settled it.
/// </summary>
public sealed class GatewayCheckout(HttpClient http)
{
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Places an order of <paramref name="quantity"/> × <paramref name="sku"/> for <paramref name="customerId"/>; returns
    /// its id. As a well-behaved client does, an answer of 502, 503 or 504 (a service behind the gateway did not answer
    /// in time: a loaded machine) is retried with the same Idempotency-Key, which can never make a second order.
    /// </summary>
    public async Task<string> PlaceAsync(string customerId, string sku = "SKU-1001", int quantity = 1, CancellationToken cancellationToken = default)
    {
        var token = await TokenAsync(customerId, cancellationToken);
        var idempotencyKey = Guid.NewGuid().ToString();
        var until = DateTime.UtcNow + SettleTimeout;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders")
            {
                Content = JsonContent.Create(new { lines = new[] { new { sku, quantity } }, paymentToken = "tok_visa" }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Add("Idempotency-Key", idempotencyKey);
            using var placed = await http.SendAsync(request, cancellationToken);
            if (placed.StatusCode == HttpStatusCode.Accepted)
            {
                var body = await placed.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                return body.GetProperty("orderId").GetString() ?? throw new HttpRequestException("POST /api/orders answered no orderId.");
            }

            var retry = placed.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;
            if (!retry || DateTime.UtcNow > until)
                throw new HttpRequestException($"POST /api/orders answered {(int)placed.StatusCode}: {await placed.Content.ReadAsStringAsync(cancellationToken)}");
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    /// <summary>Polls GET /api/orders/{id} until the order's status is confirmed or cancelled, which it returns.</summary>
    public async Task<string> WaitUntilSettledAsync(string customerId, string orderId, CancellationToken cancellationToken = default)
    {
        var token = await TokenAsync(customerId, cancellationToken);
        var until = DateTime.UtcNow + SettleTimeout;
        string? status = null;
        while (DateTime.UtcNow < until)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/orders/{orderId}");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                var view = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                status = view.GetProperty("order").GetProperty("status").GetString();
                if (status is "confirmed" or "cancelled")
                    return status;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }

        throw new TimeoutException($"Order {orderId} was not settled within {SettleTimeout.TotalSeconds:0} s (last status: {status ?? "none"}).");
    }

    private async Task<string> TokenAsync(string customerId, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("/dev/token", new { customerId }, cancellationToken);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return body.GetProperty("accessToken").GetString() ?? throw new HttpRequestException("POST /dev/token answered no accessToken.");
    }
}
