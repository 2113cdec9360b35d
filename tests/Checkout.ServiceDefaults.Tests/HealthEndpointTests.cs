using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Checkout.ServiceDefaults.Tests;

public sealed class HealthEndpointTests
{
    private const string Secret = "password=hunter2 at Npgsql.Connect()";

    [Theory]
    [InlineData("Development")]
    [InlineData("Staging")]
    [InlineData("Production")]
    public async Task Failing_check_makes_health_503_while_alive_stays_200_and_no_exception_text_leaks(string environment)
    {
        await using var app = await RunningApp.StartAsync(
            builder =>
            {
                builder.AddServiceDefaults();
                builder.Services.AddHealthChecks()
                    .AddCheck("database", () => throw new InvalidOperationException(Secret))
                    .AddCheck("broker", () => HealthCheckResult.Unhealthy(Secret, new TimeoutException(Secret)));
            },
            app => app.MapDefaultEndpoints(),
            environment: environment);
        using var client = new HttpClient { BaseAddress = app.Address };
        var ct = TestContext.Current.CancellationToken;

        using var health = await client.GetAsync("/health", ct);
        var healthBody = await health.Content.ReadAsStringAsync(ct);
        using var alive = await client.GetAsync("/alive", ct);
        var aliveBody = await alive.Content.ReadAsStringAsync(ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.Equal(environment, app.Services.GetRequiredService<IHostEnvironment>().EnvironmentName);
        Assert.DoesNotContain("hunter2", healthBody);
        Assert.DoesNotContain("Exception", healthBody);
        using var report = JsonDocument.Parse(healthBody);
        Assert.Equal("Unhealthy", report.RootElement.GetProperty("status").GetString());
        var checks = report.RootElement.GetProperty("checks");
        Assert.Equal("Healthy", checks.GetProperty("self").GetString());
        Assert.Equal("Unhealthy", checks.GetProperty("database").GetString());
        Assert.Equal("Unhealthy", checks.GetProperty("broker").GetString());
        using var liveReport = JsonDocument.Parse(aliveBody);
        Assert.Equal("Healthy", liveReport.RootElement.GetProperty("status").GetString());
        Assert.Equal(["self"], liveReport.RootElement.GetProperty("checks").EnumerateObject().Select(check => check.Name));
    }

    [Fact]
    public async Task Health_is_200_when_every_check_passes_outside_development()
    {
        await using var app = await RunningApp.StartAsync(
            builder => builder.AddServiceDefaults(),
            app => app.MapDefaultEndpoints(),
            environment: Environments.Production);
        using var client = new HttpClient { BaseAddress = app.Address };

        using var health = await client.GetAsync("/health", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("application/json", health.Content.Headers.ContentType?.MediaType);
    }
}
