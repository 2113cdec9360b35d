using System.Collections.Concurrent;
using Checkout.ServiceDefaults.ServiceDiscovery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Checkout.ServiceDefaults.Tests;

public sealed class ServiceDiscoveryTests
{
    [Fact]
    public async Task Http_client_reaches_configured_service_and_round_robins_over_two_replicas()
    {
        var received = new ConcurrentQueue<string>();
        await using var first = await StartReplica("first", received);
        await using var second = await StartReplica("second", received);
        using var host = BuildClientHost(new()
        {
            ["services:inventory:http:0"] = first.Address.ToString(),
            ["services:inventory:http:1"] = second.Address.ToString(),
        });
        var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("inventory");
        client.BaseAddress = new Uri("http://inventory");

        var answers = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await client.GetStringAsync("/whoami?attempt=" + i, TestContext.Current.CancellationToken));
        }

        Assert.Equal(2, answers.Count(answer => answer.StartsWith("first /whoami?attempt=", StringComparison.Ordinal)));
        Assert.Equal(2, answers.Count(answer => answer.StartsWith("second /whoami?attempt=", StringComparison.Ordinal)));
        Assert.Equal(2, received.Count(name => name == "first"));
        Assert.Equal(2, received.Count(name => name == "second"));
    }

    [Fact]
    public async Task Https_plus_http_falls_back_to_the_http_endpoint()
    {
        var received = new ConcurrentQueue<string>();
        await using var replica = await StartReplica("only", received);
        using var host = BuildClientHost(new() { ["services:inventory:http:0"] = replica.Address.ToString() });
        var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient();
        client.BaseAddress = new Uri("https+http://inventory");

        var answer = await client.GetStringAsync("/stock", TestContext.Current.CancellationToken);

        Assert.Equal("only /stock", answer);
    }

    [Fact]
    public async Task Unknown_service_fails_with_the_configuration_key_to_set()
    {
        using var host = BuildClientHost(new());
        var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => client.GetAsync("http://payments/charges", TestContext.Current.CancellationToken));

        Assert.Contains("services:payments:http:0", error.Message);
        Assert.Contains("services__payments__http__0", error.Message);
    }

    [Fact]
    public void Resolver_prefers_https_uses_named_endpoints_and_passes_other_hosts_through()
    {
        using var resolver = new ServiceEndpointResolver(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["services:inventory:https:0"] = "https://10.0.0.1:7001",
            ["services:inventory:http:0"] = "http://10.0.0.1:7000",
            ["services:inventory:grpc:0"] = "10.0.0.2:7002",
        }).Build());

        Assert.Equal(new Uri("https://10.0.0.1:7001/items?id=1"), resolver.Resolve(new Uri("https+http://inventory/items?id=1")));
        Assert.Equal(new Uri("http://10.0.0.1:7000/items"), resolver.Resolve(new Uri("http://inventory/items")));
        Assert.Equal(new Uri("http://10.0.0.2:7002/checkout.Inventory/Reserve"), resolver.Resolve(new Uri("http://_grpc.inventory/checkout.Inventory/Reserve")));
        Assert.Equal(new Uri("http://127.0.0.1:8080/a"), resolver.Resolve(new Uri("http://127.0.0.1:8080/a")));
        Assert.Equal(new Uri("http://[::1]:8080/a"), resolver.Resolve(new Uri("http://[::1]:8080/a")));
        Assert.Equal(new Uri("http://localhost:8080/a"), resolver.Resolve(new Uri("http://localhost:8080/a")));
        Assert.Equal(new Uri("https://api.example.com/a"), resolver.Resolve(new Uri("https://api.example.com/a")));
        Assert.Throws<InvalidOperationException>(() => resolver.Resolve(new Uri("http://_grpc.payments/x")));
    }

    [Fact]
    public void Malformed_endpoint_value_names_its_configuration_key()
    {
        using var resolver = new ServiceEndpointResolver(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["services:inventory:http:0"] = "ftp://10.0.0.1",
        }).Build());

        var error = Assert.Throws<InvalidOperationException>(() => resolver.Resolve(new Uri("http://inventory/")));

        Assert.Contains("services:inventory:http:0", error.Message);
    }

    private static IHost BuildClientHost(Dictionary<string, string?> configuration)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.AddServiceDefaults();
        return builder.Build();
    }

    private static Task<RunningApp> StartReplica(string name, ConcurrentQueue<string> received) =>
        RunningApp.StartAsync(
            _ => { },
            app => app.Run(context =>
            {
                received.Enqueue(name);
                return context.Response.WriteAsync($"{name} {context.Request.Path}{context.Request.QueryString}");
            }));
}
