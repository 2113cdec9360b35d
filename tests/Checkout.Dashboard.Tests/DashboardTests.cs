using Checkout.Testing;
using Checkout.Testing.AppHost;
using Microsoft.Playwright;

namespace Checkout.Dashboard.Tests;

/// <summary>
/// What a user sees in the Aspire dashboard of <c>dotnet run --project Checkout.AppHost</c>, through a real browser:
/// logged in with the browser token, every resource Running and Healthy on the Resources page, and one checkout placed
/// through the gateway shown on the Traces page as one trace with spans from all six services (the Kafka hops joined
/// to it through the traceparent header of each message).
/// </summary>
public sealed class DashboardTests
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(6);
    private static readonly TimeSpan PageTimeout = TimeSpan.FromMinutes(2);

    // The browser's own lines: no sandbox (the tests run as root), no GPU, /tmp instead of a small /dev/shm.
    private static readonly string[] ChromiumArguments = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"];

    [Fact]
    public async Task The_dashboard_shows_every_resource_running_and_healthy_and_a_checkout_as_one_trace_across_the_six_services()
    {
        var ct = TestContext.Current.CancellationToken;
        var log = TestOutput.Sink();
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run eng/setup.sh (apt-get install chromium).");
        using var data = new TemporaryDataFolder();
        var token = Guid.NewGuid().ToString("N");
        await using var host = AppHostProcess.Start([$"--Postgres:DataDirectory={data.Path}"], log, token);
        var gateway = await host.WaitUntilReadyAsync(StartTimeout, ct);
        Assert.EndsWith($"/login?t={token}", host.LoginUrl!.ToString(), StringComparison.Ordinal);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ChromiumArguments,
        });
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1600, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout((float)PageTimeout.TotalMilliseconds);
        var screenshots = new DashboardScreenshots(page, AppHostProcess.RepositoryRoot, log);
        try
        {
            // The login URL's token signs the browser in; the dashboard then opens on its Resources page.
            await page.GotoAsync(host.LoginUrl.ToString());
            await page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal));
            var states = await WaitForResourcesAsync(page, ct);
            log("Resources page: " + string.Join(", ", states.Select(state => $"{state.Key} {state.Value}")));
            await DismissCertificateWarningAsync(page, log);
            await screenshots.TakeForReadmeAsync("dashboard-resources");

            // One checkout through the gateway, settled by the whole saga.
            using (var http = new HttpClient { BaseAddress = gateway })
            {
                var checkout = new GatewayCheckout(http);
                var orderId = await checkout.PlaceAsync("dashboard-test", cancellationToken: ct);
                Assert.Equal("confirmed", await checkout.WaitUntilSettledAsync("dashboard-test", orderId, ct));
                log($"Order {orderId} confirmed.");
            }

            // The Traces page lists it as one trace (the only POST /api/orders of this fresh system); its detail page shows
            // spans of every service that took part.
            await page.GotoAsync(new Uri(host.DashboardUrl!, "/traces").ToString());
            var row = page.Locator("tr", new PageLocatorOptions { HasText = "POST /api/orders" });
            await Eventually.UntilAsync(async () => await row.CountAsync() == 1, "one POST /api/orders trace is listed", PageTimeout);
            await screenshots.TakeAsync("traces");
            // A row click navigates to /traces/detail/{trace id}; the row shows the id shortened, which the detail page
            // accepts as a prefix. Clicking instead is flaky on a loaded machine: the list re-renders the row as more of
            // the trace's spans arrive, and a click can land on a row being replaced.
            var traceId = (await row.Locator(".trace-id").TextContentAsync())?.Trim();
            Assert.False(string.IsNullOrEmpty(traceId), "The trace's row shows no trace id.");
            await page.GotoAsync(new Uri(host.DashboardUrl!, $"/traces/detail/{traceId}").ToString());
            var resources = await WaitForTraceResourcesAsync(page, ct);
            log($"Trace {page.Url}: spans from {string.Join(", ", resources)}");
            await screenshots.TakeForReadmeAsync("dashboard-trace");
        }
        catch
        {
            await screenshots.TakeOnFailureAsync();
            throw;
        }
    }

    /// <summary>
    /// Waits until the Resources grid lists every resource of the system as "Running": the dashboard writes a running
    /// resource's state as "Running" only when its health is Healthy, and "Running (Unhealthy)" until then.
    /// </summary>
    private static async Task<IReadOnlyDictionary<string, string>> WaitForResourcesAsync(IPage page, CancellationToken cancellationToken)
    {
        // Fluent UI's data grid renders an HTML table: one tr per resource.
        var rows = page.Locator("tr");
        return await Eventually.UntilAsync(
            async () =>
            {
                var states = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var cells in await rows.EvaluateAllAsync<string[][]>(
                    """
                    rows => rows.map(row => [
                        row.querySelector('.resource-name-text')?.textContent?.trim() ?? '',
                        row.querySelector('.state-column-cell > span')?.textContent?.trim() ?? ''])
                    """))
                {
                    if (cells[0].Length > 0)
                        states[cells[0]] = cells[1];
                }

                cancellationToken.ThrowIfCancellationRequested();
                return states;
            },
            states => CheckoutApp.AllResources.All(resource => states.GetValueOrDefault(resource) == "Running"),
            states => "not every resource is Running (and so Healthy): " + string.Join(", ", CheckoutApp.AllResources.Select(resource => $"{resource} {states.GetValueOrDefault(resource) ?? "(not listed)"}")),
            PageTimeout);
    }

    /// <summary>
    /// Waits until the trace's detail page shows spans of the gateway, orders, catalog, inventory, payments and
    /// notifications (telemetry arrives in batches; the page is reloaded between looks).
    /// </summary>
    private static async Task<IReadOnlySet<string>> WaitForTraceResourcesAsync(IPage page, CancellationToken cancellationToken) =>
        await Eventually.UntilAsync(
            async () =>
            {
                var names = await page.Locator(".resource-name").AllTextContentsAsync();
                var resources = names.Select(name => name.Trim()).Where(name => name.Length > 0).ToHashSet(StringComparer.Ordinal);
                if (!CheckoutApp.Services.All(service => Has(resources, service)))
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
                    await page.ReloadAsync();
                    await page.Locator(".resource-name").First.WaitForAsync();
                }

                return (IReadOnlySet<string>)resources;
            },
            resources => CheckoutApp.Services.All(service => Has(resources, service)),
            resources => $"the trace has spans from {string.Join(", ", resources)} only; expected all of {string.Join(", ", CheckoutApp.Services)}",
            PageTimeout);

    // Without a trusted development certificate (none on these machines) the dashboard shows a warning bar; the
    // README's pictures are of the dashboard, not of that bar. Nothing fails if it is not there.
    private static async Task DismissCertificateWarningAsync(IPage page, Action<string> log)
    {
        var close = page.Locator(".top-messagebar", new PageLocatorOptions { HasText = "development certificate" }).GetByRole(AriaRole.Button).Last;
        try
        {
            await close.ClickAsync(new LocatorClickOptions { Timeout = 3000 });
        }
        catch (Exception exception) when (exception is TimeoutException or PlaywrightException)
        {
            log("No certificate warning to dismiss.");
        }
    }

    // The dashboard names a span's resource after the service, with the instance id appended when one service has several.
    private static bool Has(IReadOnlySet<string> resources, string service) =>
        resources.Any(resource => resource == service || resource.StartsWith(service + "-", StringComparison.Ordinal));
}
