using System.Net.Http.Json;
using System.Text.Json;

namespace Checkout.AppHost.Tests;

public sealed class SmokeTests
{
    [Fact]
    public async Task The_system_starts_healthy_and_confirms_an_order()
    {
        var ct = TestContext.Current.CancellationToken;
        var data = Path.Combine(Path.GetTempPath(), $"checkout-smoke-{Guid.NewGuid():N}");
        try
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Checkout_AppHost>([$"--Postgres:DataDirectory={data}"], ct);
            await using var app = await builder.BuildAsync(ct);
            await app.StartAsync(ct);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(TimeSpan.FromMinutes(3));
            await app.ResourceNotifications.WaitForResourceHealthyAsync("gateway", cts.Token);
            using var http = app.CreateHttpClient("gateway");
            var token = (await (await http.PostAsJsonAsync("/dev/token", new { customerId = "alice" }, ct)).Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("accessToken").GetString();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders")
            {
                Content = JsonContent.Create(new { lines = new[] { new { sku = "SKU-1001", quantity = 1 } }, paymentToken = "tok_visa" }),
            };
            request.Headers.Authorization = new("Bearer", token);
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            using var placed = await http.SendAsync(request, ct);
            Assert.Equal(System.Net.HttpStatusCode.Accepted, placed.StatusCode);
            var location = placed.Headers.Location!;
            string? status = null;
            for (var i = 0; i < 100 && status != "confirmed"; i++)
            {
                using var get = new HttpRequestMessage(HttpMethod.Get, location);
                get.Headers.Authorization = new("Bearer", token);
                var view = await (await http.SendAsync(get, ct)).Content.ReadFromJsonAsync<JsonElement>(ct);
                status = view.GetProperty("order").GetProperty("status").GetString();
                await Task.Delay(200, ct);
            }
            Assert.Equal("confirmed", status);
        }
        finally
        {
            if (Directory.Exists(data))
                Directory.Delete(data, recursive: true);
        }
    }
}
