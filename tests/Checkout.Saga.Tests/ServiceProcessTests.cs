using Checkout.AppHost.Hosting;
using Checkout.AppHost.Infrastructure;
using Checkout.Contracts.Catalog.V1;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Checkout.Saga.Tests;

/// <summary>
/// The launcher on its own, with one real service (Catalog) and its own database: started from its built assembly,
/// healthy over h2c, output captured, stopped and started again on the same port, a failed start explained.
/// </summary>
public sealed class ServiceProcessTests : IAsyncLifetime
{
    private static readonly string CatalogProject = Path.Combine(CheckoutSystem.FindRepositoryRoot(), "services", "Catalog", "Checkout.Catalog.csproj");
    private readonly ILoggerFactory _loggers = LoggerFactory.Create(logging => logging.AddProvider(new TestOutputLoggerProvider()));
    private EmbeddedPostgres _postgres = null!;

    public async ValueTask InitializeAsync()
    {
        _postgres = await EmbeddedPostgres.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        await _postgres.CreateDatabaseAsync("catalogdb", TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _postgres.DisposeAsync();
        _loggers.Dispose();
    }

    [Fact]
    public async Task A_service_serves_once_started_and_comes_back_on_the_same_port_after_a_stop()
    {
        await using var catalog = new ServiceProcess(CatalogOptions(_postgres.GetConnectionString("catalogdb")));
        using var client = new CheckoutClient(new Dictionary<string, Uri> { ["catalog"] = catalog.Endpoint });

        await catalog.StartAsync(TestContext.Current.CancellationToken);
        Assert.True(catalog.IsRunning);
        Assert.NotEmpty((await client.ListProductsAsync(new ListProductsRequest(), TestContext.Current.CancellationToken)).Products);
        // The service's console output is captured: the host's lifetime messages say where it listens.
        Assert.Contains("Application started", catalog.OutputTail(200), StringComparison.Ordinal);

        await catalog.StopAsync(TestContext.Current.CancellationToken);
        Assert.False(catalog.IsRunning);
        Assert.True(LoopbackPorts.IsFree(catalog.Port));
        var down = await Assert.ThrowsAsync<RpcException>(() => client.ListProductsAsync(new ListProductsRequest(), TestContext.Current.CancellationToken));
        Assert.Equal(StatusCode.Unavailable, down.StatusCode);

        await catalog.StartAsync(TestContext.Current.CancellationToken);
        // A new client: the first one's channel may still be backing off after the refused connection.
        using var again = new CheckoutClient(new Dictionary<string, Uri> { ["catalog"] = catalog.Endpoint });
        Assert.NotEmpty((await again.ListProductsAsync(new ListProductsRequest(), TestContext.Current.CancellationToken)).Products);

        await catalog.DisposeAsync();
        Assert.False(catalog.IsRunning);
        Assert.True(LoopbackPorts.IsFree(catalog.Port));
    }

    [Fact]
    public async Task A_service_that_exits_during_start_up_is_reported_with_its_own_output()
    {
        // Nothing listens on this port: the service's migrations cannot connect, and it exits.
        var unreachable = new Npgsql.NpgsqlConnectionStringBuilder(_postgres.GetConnectionString("catalogdb")) { Port = LoopbackPorts.PickFree(), Timeout = 2 };
        await using var catalog = new ServiceProcess(CatalogOptions(unreachable.ConnectionString));

        var failure = await Assert.ThrowsAsync<EmbeddedInfrastructureException>(() => catalog.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("'catalog' exited with code", failure.Message, StringComparison.Ordinal);
        // Its own last lines come with it: here, the connection failure of its migrations.
        Assert.Contains("catalog | ", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Npgsql", failure.Message, StringComparison.Ordinal);
        Assert.False(catalog.IsRunning);
    }

    [Fact]
    public void The_built_assembly_is_found_by_project_and_build_configuration()
    {
        var path = ServiceProcess.BuiltAssemblyPath(CatalogProject);

        Assert.Equal(Path.Combine("bin", ServiceProcess.BuildConfiguration, "net10.0", "Checkout.Catalog.dll"),
            Path.GetRelativePath(Path.GetDirectoryName(CatalogProject)!, path));
        Assert.True(File.Exists(path), $"{path} should have been built with this test project (ProjectReference).");
    }

    private ServiceProcessOptions CatalogOptions(string connectionString) => new()
    {
        Name = "catalog",
        ProjectPath = CatalogProject,
        Environment = new Dictionary<string, string?> { ["ConnectionStrings__catalogdb"] = connectionString },
        StartTimeout = TimeSpan.FromSeconds(90),
        Logger = _loggers.CreateLogger("Checkout.AppHost.catalog"),
    };
}
