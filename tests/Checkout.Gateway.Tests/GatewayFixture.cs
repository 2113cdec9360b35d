using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Aspire.Hosting.Testing;
using Checkout.Contracts;
using Checkout.Testing.AppHost;

namespace Checkout.Gateway.Tests;

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}

/// <summary>
/// The whole system as Checkout.AppHost declares it, started once for every test through Aspire.Hosting.Testing
/// (<see cref="CheckoutApp"/>): the five services on the embedded PostgreSQL and broker and the gateway in front of
/// them, the gateway with the tests' limits and keys. Tests talk to it over HTTP/1.1 only, each as its own customers.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public const int RateLimitPermits = 40;
    public static readonly TimeSpan RateLimitWindow = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan UnavailableRetryAfter = TimeSpan.FromSeconds(3);

    public TestTokens Tokens { get; } = new();

    public CheckoutApp App { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        try
        {
            // The system's own gateway (the app host wires it to the five services), with the test's limits and keys.
            App = await CheckoutApp.StartAsync(
                new CheckoutAppOptions
                {
                    Environment = new Dictionary<string, IReadOnlyDictionary<string, string>> { [ServiceNames.Gateway] = GatewaySettings("Development") },
                    // The degradation tests stop these: the gateway must find them down, not slow (DCP's proxy would hold
                    // its connections until they are back, and a fast 503 would become a 504 at the call's deadline).
                    DirectEndpoints = [ServiceNames.Orders, ServiceNames.Payments],
                },
                TestContext.Current.CancellationToken);
            Http = CreateHttpClient(App);
        }
        catch
        {
            // xunit v3 does not dispose a fixture whose initialization failed.
            await DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (App is not null)
            await App.DisposeAsync();
        Tokens.Dispose();
    }

    /// <summary>
    /// A plain HttpClient for the gateway of <paramref name="app"/>: what a client sends reaches the gateway once, and
    /// what it answers (429, 503 and their Retry-After) comes back as it is. <see cref="CheckoutApp.CreateGatewayClient"/>
    /// comes from Aspire.Hosting.Testing's client factory, whose standard resilience handler retries such answers.
    /// </summary>
    public static HttpClient CreateHttpClient(CheckoutApp app) =>
        new() { BaseAddress = app.App.GetEndpoint(ServiceNames.Gateway, "http"), Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// A second gateway in <paramref name="environment"/>, alone in an app of its own (the app host's gateway resource,
    /// the others left out), wired to this fixture's five services like the system's own, with
    /// <paramref name="overrides"/> replacing or adding settings. With <paramref name="waitUntilHealthy"/> false it
    /// returns once started, for a gateway that is to fail its start.
    /// </summary>
    public async Task<CheckoutApp> StartGatewayAsync(
        string environment, IReadOnlyDictionary<string, string>? overrides = null, bool waitUntilHealthy = true)
    {
        var variables = GatewaySettings(environment);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
            variables[key] = value;
        // Where the gateway's gRPC clients find each service (service discovery, endpoint "grpc").
        foreach (var service in CheckoutApp.Services.Where(service => service != ServiceNames.Gateway))
            variables[$"services__{service}__grpc__0"] = App.App.GetEndpoint(service, "grpc").GetLeftPart(UriPartial.Authority);
        return await CheckoutApp.StartAsync(
            new CheckoutAppOptions
            {
                Resources = [ServiceNames.Gateway],
                Environment = new Dictionary<string, IReadOnlyDictionary<string, string>> { [ServiceNames.Gateway] = variables },
                WaitUntilHealthy = waitUntilHealthy,
            },
            TestContext.Current.CancellationToken);
    }

    /// <summary>The gateway's settings under test: <paramref name="environment"/>, short rate-limit windows, <see cref="Tokens"/>' keys.</summary>
    private Dictionary<string, string> GatewaySettings(string environment)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_ENVIRONMENT"] = environment,
            ["DOTNET_ENVIRONMENT"] = environment,
            ["RateLimiting__PermitLimit"] = RateLimitPermits.ToString(CultureInfo.InvariantCulture),
            ["RateLimiting__Window"] = RateLimitWindow.ToString("c", CultureInfo.InvariantCulture),
            ["Gateway__UnavailableRetryAfter"] = UnavailableRetryAfter.ToString("c", CultureInfo.InvariantCulture),
            // These tests do not measure the deadlines, and share 2 cores with another test project: eight concurrent
            // first orders could outlast the 5 s default there and get 504 instead of what the test checks.
            ["Gateway__PlaceOrderDeadline"] = "00:00:20",
            ["Gateway__CallDeadline"] = "00:00:20",
        };
        foreach (var (key, value) in Tokens.GatewayEnvironment())
            variables[key] = value;
        return variables;
    }

    /// <summary>A customer id no other test uses.</summary>
    public static string NewCustomer(string purpose) => $"{purpose}-{Guid.NewGuid():N}";

    /// <summary>A token from the gateway's Development-only endpoint, as a newcomer with curl would get one.</summary>
    public async Task<string> DevTokenAsync(string customer, bool admin = false)
    {
        using var response = await Http.PostAsJsonAsync("/dev/token", new { customerId = customer, admin }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = await ReadJsonAsync(response);
        return body.RootElement.GetProperty("accessToken").GetString()!;
    }

    public Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string path, string? token = null, string? json = null, string? idempotencyKey = null,
        IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (idempotencyKey is not null)
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        foreach (var (name, value) in headers ?? [])
            request.Headers.TryAddWithoutValidation(name, value);
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static string OrderJson(string token, params (string Sku, int Quantity)[] lines) =>
        JsonSerializer.Serialize(new { lines = lines.Select(line => new { sku = line.Sku, quantity = line.Quantity }), paymentToken = token });

    public static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

    /// <summary>Polls GET <paramref name="location"/> until the view satisfies <paramref name="done"/>; returns it.</summary>
    public async Task<JsonElement> WaitForViewAsync(string token, string location, Func<JsonElement, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            using (var response = await SendAsync(HttpMethod.Get, location, token))
            {
                var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {location}: {(int)response.StatusCode} {text}");
                var view = JsonDocument.Parse(text).RootElement;
                if (done(view))
                    return view;
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"{location} is not {what} after 60 s: {text}");
            }

            // Slow enough to stay far below the per-caller rate limit.
            await Task.Delay(TimeSpan.FromMilliseconds(250), TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Polls <paramref name="probe"/> until it answers <paramref name="expected"/> (after a restart, say).</summary>
    public static async Task WaitForStatusAsync(Func<Task<HttpResponseMessage>> probe, HttpStatusCode expected, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            using var response = await probe();
            if (response.StatusCode == expected)
                return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{what}: still {(int)response.StatusCode} after 60 s: {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(TimeSpan.FromMilliseconds(250), TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Asserts an RFC 9457 problem with <paramref name="status"/>, a traceId and no stack trace; returns its body.</summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string because)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == status, $"{because}: expected {(int)status}, got {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()), because);
        Assert.DoesNotContain("   at ", text);
        Assert.DoesNotContain("Exception", text);
        return problem;
    }
}
