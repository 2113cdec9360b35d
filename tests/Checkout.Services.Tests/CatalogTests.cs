using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Checkout.AppHost.Integrations.Postgres;
using Checkout.Contracts;
using Checkout.Contracts.Catalog.V1;
using Dapper;
using Grpc.Core;
using Npgsql;

namespace Checkout.Services.Tests;

/// <summary>
/// Catalog with its database, and two more instances declared up front and started by the tests that need them:
/// <see cref="SecondInstance"/> on the same database, <see cref="OutageInstance"/> on a database of its own.
/// </summary>
public sealed class CatalogFixture() : ServiceFixture(ServiceNames.Catalog, DatabaseNames.Catalog, usesBroker: false)
{
    public const string SecondInstance = "catalog-second";
    public const string OutageInstance = "catalog-outage";

    /// <summary>The database of <see cref="OutageInstance"/>, which its test creates before starting it.</summary>
    public string OutageDatabase { get; } = "catalog_outage_" + Guid.NewGuid().ToString("N");

    public Catalog.CatalogClient Client => new(Channel);

    protected override void Configure(IDistributedApplicationTestingBuilder builder)
    {
        AddInstance(builder, SecondInstance).WithExplicitStart();
        var server = builder.Resources.OfType<IPostgresServerResource>().Single();
        AddInstance(builder, OutageInstance, sharesDatabase: false)
            .WithEnvironment($"ConnectionStrings__{DatabaseNames.Catalog}",
                ReferenceExpression.Create($"{server};Database={OutageDatabase};Maximum Pool Size={server.MaxPoolSize.ToString(System.Globalization.CultureInfo.InvariantCulture)}"))
            .WaitFor(builder.CreateResourceBuilder(server))
            .WithExplicitStart();
    }

    public Task<ListProductsResponse> ListAsync(int pageSize, string pageToken = "") =>
        Client.ListProductsAsync(new ListProductsRequest { PageSize = pageSize, PageToken = pageToken }, CallOptions()).ResponseAsync;

    public Task<PriceItemsResponse> PriceAsync(params string[] skus) =>
        Client.PriceItemsAsync(new PriceItemsRequest { Skus = { skus } }, CallOptions()).ResponseAsync;

    public Task<Product> GetAsync(string sku) => Client.GetProductAsync(new GetProductRequest { Sku = sku }, CallOptions()).ResponseAsync;
}

[CollectionDefinition(nameof(CatalogCollection))]
public sealed class CatalogCollection : ICollectionFixture<CatalogFixture>;

[Collection(nameof(CatalogCollection))]
public sealed class CatalogTests(CatalogFixture catalog)
{
    [Fact]
    public async Task Pages_walk_the_whole_demo_catalogue_in_sku_order_once()
    {
        var seen = new List<Product>();
        var pages = 0;
        var token = "";
        do
        {
            var page = await catalog.ListAsync(pageSize: 5, token);
            Assert.InRange(page.Products.Count, 1, 5);
            seen.AddRange(page.Products);
            token = page.NextPageToken;
            pages++;
        } while (token.Length > 0);

        Assert.Equal(12, seen.Count);
        Assert.Equal(3, pages);
        Assert.Equal(seen.Select(p => p.Sku).Order(StringComparer.Ordinal), seen.Select(p => p.Sku));
        Assert.Equal(seen.Count, seen.Select(p => p.Sku).Distinct().Count());
        Assert.All(seen, product =>
        {
            Assert.Matches("^SKU-[0-9]{4}$", product.Sku);
            Assert.Equal("EUR", product.Currency);
            Assert.True(product.UnitPriceMinor > 0);
            Assert.NotEmpty(product.Name);
            Assert.NotEmpty(product.Description);
        });
    }

    [Fact]
    public async Task Page_size_zero_means_fifty_and_the_only_page_has_no_next_token()
    {
        var page = await catalog.ListAsync(pageSize: 0);

        Assert.Equal(12, page.Products.Count);
        Assert.Empty(page.NextPageToken);
    }

    [Fact]
    public async Task A_page_exactly_as_long_as_the_rest_of_the_catalogue_ends_it()
    {
        var first = await catalog.ListAsync(pageSize: 6);
        var second = await catalog.ListAsync(pageSize: 6, first.NextPageToken);

        Assert.NotEmpty(first.NextPageToken);
        Assert.Equal(6, second.Products.Count);
        Assert.Empty(second.NextPageToken);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(101)]
    public async Task Page_size_out_of_range_is_invalid(int pageSize)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => catalog.ListAsync(pageSize));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("page_size", error.Status.Detail);
    }

    [Theory]
    [InlineData("not a token")]
    [InlineData("bG93ZXI")] // well-formed base64url, but of "lower", which is no SKU
    public async Task Page_tokens_the_service_did_not_issue_are_invalid(string token)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => catalog.ListAsync(pageSize: 2, token));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("page_token is not a token this service issued.", error.Status.Detail);
    }

    [Fact]
    public async Task Prices_come_back_in_request_order_and_match_the_products()
    {
        var priced = await catalog.PriceAsync("SKU-1007", "SKU-1001", "SKU-1012");

        Assert.Equal(["SKU-1007", "SKU-1001", "SKU-1012"], priced.Products.Select(p => p.Sku));
        foreach (var product in priced.Products)
            Assert.Equal(await catalog.GetAsync(product.Sku), product);
    }

    [Fact]
    public async Task Pricing_names_every_unknown_sku()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => catalog.PriceAsync("SKU-1001", "SKU-9999", "SKU-1002", "NOPE-1"));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("unknown SKU(s): SKU-9999, NOPE-1", error.Status.Detail);
    }

    public static TheoryData<string[], string> InvalidPriceRequests => new()
    {
        { [], "skus must hold between 1 and 100 SKUs." },
        { Enumerable.Range(0, 101).Select(i => $"SKU-{i}").ToArray(), "skus must hold between 1 and 100 SKUs." },
        { ["SKU-1001", ""], "skus[1] is required." },
        { ["sku-1001"], "skus[0] must be 1 to 32 characters of A-Z, 0-9 and '-'." },
        { ["SKU-1001\n"], "skus[0] must be 1 to 32 characters of A-Z, 0-9 and '-'." },
        { ["SKU-1001", new string('A', 33)], "skus[1] must be 1 to 32 characters of A-Z, 0-9 and '-'." },
        { ["SKU-1001", "SKU-1002", "SKU-1001"], "skus[2] repeats SKU SKU-1001." },
    };

    [Theory]
    [MemberData(nameof(InvalidPriceRequests))]
    public async Task Pricing_validates_the_request(string[] skus, string message)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => catalog.PriceAsync(skus));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(message, error.Status.Detail);
    }

    [Fact]
    public async Task Get_product_answers_not_found_and_invalid_argument()
    {
        var unknown = await Assert.ThrowsAsync<RpcException>(() => catalog.GetAsync("SKU-0000"));
        var empty = await Assert.ThrowsAsync<RpcException>(() => catalog.GetAsync(""));

        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("unknown SKU: SKU-0000", unknown.Status.Detail);
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
        Assert.Equal("sku is required.", empty.Status.Detail);
    }

    [Fact]
    public async Task A_second_instance_on_the_same_database_migrates_nothing_twice()
    {
        await using var second = await catalog.StartInstanceAsync(CatalogFixture.SecondInstance);
        await using var connection = await catalog.OpenDatabaseAsync();

        Assert.Equal(12L, await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "SELECT count(*) FROM products"));
        Assert.Equal(2L, await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "SELECT count(*) FROM schema_migrations"));
        // The console shows a migration when there is one (the first instance's, on the empty database), and each
        // instance migrates before it starts: once the second has started, its console holds any migration it made.
        await catalog.Output.WaitForLineAsync("Applied migration");
        await second.WaitForOutputAsync("Application started");
        Assert.DoesNotContain("Applied migration", second.OutputTail(500));
    }

    [Fact]
    public async Task A_database_outage_is_UNAVAILABLE_and_the_service_answers_again_once_the_database_is_back()
    {
        // An instance on a database of its own, so that taking it away disturbs no other test.
        var database = catalog.OutageDatabase;
        await catalog.App.CreateDatabaseAsync(database, TestContext.Current.CancellationToken);
        await using var instance = await catalog.StartInstanceAsync(CatalogFixture.OutageInstance);
        var client = new Catalog.CatalogClient(instance.Channel);
        Task<ListProductsResponse> ListAsync() => client.ListProductsAsync(new ListProductsRequest { PageSize = 5 }, ServiceFixture.CallOptions()).ResponseAsync;
        Assert.Equal(5, (await ListAsync()).Products.Count);

        var server = await catalog.App.ConnectionStringAsync("postgres", TestContext.Current.CancellationToken);
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres" }.ConnectionString);
        await admin.OpenAsync(TestContext.Current.CancellationToken);
        await admin.ExecuteAsync($"ALTER DATABASE {database} ALLOW_CONNECTIONS false");
        try
        {
            await admin.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @database", new { database });
            await Eventually.UntilAsync(async () => await admin.ExecuteScalarAsync<long>(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = @database", new { database }) == 0, "the service's sessions are gone");

            var outage = await Assert.ThrowsAsync<RpcException>(ListAsync);
            Assert.Equal(StatusCode.Unavailable, outage.StatusCode);
            Assert.Equal("the service's database is unavailable; try again", outage.Status.Detail);
        }
        finally
        {
            await admin.ExecuteAsync($"ALTER DATABASE {database} ALLOW_CONNECTIONS true");
        }

        // Back: the service answers again (a pooled connection the outage broke may fail one call more, as UNAVAILABLE too).
        var answer = await Eventually.UntilAsync(async () =>
        {
            try
            {
                return (Response: await ListAsync(), Failure: (RpcException?)null);
            }
            catch (RpcException exception) when (exception.StatusCode == StatusCode.Unavailable)
            {
                return (Response: (ListProductsResponse?)null, Failure: exception);
            }
        }, result => result.Response is not null, result => $"the service still fails: {result.Failure?.Status}");
        Assert.Equal(5, answer.Response!.Products.Count);
    }
}
