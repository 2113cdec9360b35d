using System.Collections.Concurrent;
using System.Net;
using Checkout.ServiceDefaults.Resilience;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;

namespace Checkout.ServiceDefaults.Tests;

public sealed class ResilienceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Transient_503_of_an_idempotent_request_is_retried_with_its_body_and_then_succeeds()
    {
        await using var server = await FlakyServer.StartAsync(failuresBeforeSuccess: 1);
        using var host = BuildClientHost((http, _) => http.AddStandardResilienceHandler(FastRetries));
        var client = CreateClient(host, server);

        using var response = await client.PutAsync("/stock/42", new StringContent("reserve 3"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["reserve 3", "reserve 3"], server.Bodies);
    }

    [Fact]
    public async Task Post_is_not_retried_by_default()
    {
        await using var server = await FlakyServer.StartAsync(failuresBeforeSuccess: int.MaxValue);
        using var host = BuildClientHost((http, _) => http.AddStandardResilienceHandler(FastRetries));
        var client = CreateClient(host, server);

        using var response = await client.PostAsync("/orders", new StringContent("order"), Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Single(server.Bodies);
    }

    [Fact]
    public async Task Client_handler_bound_from_configuration_replaces_the_default_one()
    {
        await using var server = await FlakyServer.StartAsync(failuresBeforeSuccess: 2);
        using var host = BuildClientHost(
            (http, configuration) => http.AddStandardResilienceHandler().Configure(configuration.GetSection("Inventory:Resilience")),
            new()
            {
                ["Inventory:Resilience:Retry:MaxRetryAttempts"] = "1",
                ["Inventory:Resilience:Retry:Delay"] = "00:00:00.010",
            });
        var client = CreateClient(host, server);

        using var response = await client.GetAsync("/stock/42", Ct);

        // One retry from the client's own handler, and none from the default handler it replaced.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(2, server.Bodies.Count);
    }

    [Fact]
    public async Task Circuit_opens_after_repeated_failures_without_reaching_the_server_and_closes_after_the_break()
    {
        await using var server = await FlakyServer.StartAsync(failuresBeforeSuccess: 2);
        using var host = BuildClientHost((http, _) => http.AddStandardResilienceHandler(options =>
        {
            options.Retry.ShouldHandle = _ => ValueTask.FromResult(false);
            options.CircuitBreaker.MinimumThroughput = 2;
            options.CircuitBreaker.FailureRatio = 0.5;
            options.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(1);
        }));
        var client = CreateClient(host, server);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/a", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/a", Ct)).StatusCode);
        await Assert.ThrowsAsync<BrokenCircuitException>(() => client.GetAsync("/a", Ct));
        Assert.Equal(2, server.Bodies.Count);

        // After the break a trial request goes through; its success closes the circuit.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        HttpResponseMessage? trial = null;
        while (trial is null)
        {
            try
            {
                trial = await client.GetAsync("/a", deadline.Token);
            }
            catch (BrokenCircuitException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token);
            }
        }

        Assert.Equal(HttpStatusCode.OK, trial.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/a", Ct)).StatusCode);
        Assert.Equal(4, server.Bodies.Count);
    }

    [Fact]
    public void Attempt_timeout_longer_than_the_total_timeout_is_rejected_with_a_clear_message()
    {
        using var host = BuildClientHost((http, _) => http.AddStandardResilienceHandler(options =>
            options.AttemptTimeout.Timeout = TimeSpan.FromMinutes(1)));

        var error = Assert.Throws<OptionsValidationException>(
            () => host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("inventory"));

        Assert.Contains("AttemptTimeout.Timeout (00:01:00) must not exceed TotalRequestTimeout.Timeout (00:00:30)", error.Message);
    }

    private static void FastRetries(HttpStandardResilienceOptions options) => options.Retry.Delay = TimeSpan.FromMilliseconds(10);

    private static IHost BuildClientHost(Action<IHttpClientBuilder, IConfiguration> configureClient, Dictionary<string, string?>? configuration = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(configuration ?? []);
        builder.AddServiceDefaults();
        configureClient(builder.Services.AddHttpClient("inventory"), builder.Configuration);
        return builder.Build();
    }

    private static HttpClient CreateClient(IHost host, FlakyServer server)
    {
        var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("inventory");
        client.BaseAddress = server.App.Address;
        return client;
    }

    /// <summary>Answers 503 to its first requests, then 200, and records every request body it receives.</summary>
    private sealed class FlakyServer : IAsyncDisposable
    {
        private readonly ConcurrentQueue<string> _bodies = new();
        private int _remainingFailures;

        private FlakyServer(int failuresBeforeSuccess) => _remainingFailures = failuresBeforeSuccess;

        public RunningApp App { get; private set; } = null!;

        public IReadOnlyList<string> Bodies => [.. _bodies];

        public static async Task<FlakyServer> StartAsync(int failuresBeforeSuccess)
        {
            var server = new FlakyServer(failuresBeforeSuccess);
            server.App = await RunningApp.StartAsync(_ => { }, app => app.Run(server.HandleAsync));
            return server;
        }

        public ValueTask DisposeAsync() => App.DisposeAsync();

        private async Task HandleAsync(HttpContext context)
        {
            using var reader = new StreamReader(context.Request.Body);
            _bodies.Enqueue(await reader.ReadToEndAsync(context.RequestAborted));
            context.Response.StatusCode = Interlocked.Decrement(ref _remainingFailures) >= 0
                ? StatusCodes.Status503ServiceUnavailable
                : StatusCodes.Status200OK;
        }
    }
}
