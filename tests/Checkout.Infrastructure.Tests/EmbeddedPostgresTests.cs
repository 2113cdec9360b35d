using Checkout.AppHost.Infrastructure;
using Dapper;
using Npgsql;

namespace Checkout.Infrastructure.Tests;

/// <summary>One temporary cluster shared by the tests that only need a running server.</summary>
public sealed class PostgresServerFixture : IAsyncLifetime
{
    public EmbeddedPostgres Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await EmbeddedPostgres.StartAsync();

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

public sealed class EmbeddedPostgresTests(PostgresServerFixture fixture) : IClassFixture<PostgresServerFixture>
{
    private sealed record Order(Guid Id, string Customer, decimal Total);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Rows_written_through_Dapper_are_read_back_from_a_database_of_the_cluster()
    {
        await fixture.Server.CreateDatabaseAsync("orders_round_trip", Cancellation);
        await using var connection = new NpgsqlConnection(fixture.Server.GetConnectionString("orders_round_trip"));
        await connection.ExecuteAsync("CREATE TABLE orders (id uuid PRIMARY KEY, customer text NOT NULL, total numeric(12,2) NOT NULL)");
        var written = new Order(Guid.NewGuid(), "ada", 42.50m);

        await connection.ExecuteAsync("INSERT INTO orders (id, customer, total) VALUES (@Id, @Customer, @Total)", written);
        var read = await connection.QuerySingleAsync<Order>("SELECT id, customer, total FROM orders WHERE id = @Id", new { written.Id });

        Assert.Equal(written, read);
        Assert.Equal("orders_round_trip", await connection.ExecuteScalarAsync<string>("SELECT current_database()"));
    }

    [Fact]
    public async Task Creating_a_database_again_or_concurrently_leaves_exactly_one()
    {
        await fixture.Server.CreateDatabaseAsync("payments_idempotent", Cancellation);
        await fixture.Server.CreateDatabaseAsync("payments_idempotent", Cancellation);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => fixture.Server.CreateDatabaseAsync("payments_concurrent", Cancellation)));

        await using var connection = new NpgsqlConnection(fixture.Server.GetConnectionString());
        var counts = await connection.QueryAsync<(string Name, long Count)>(
            "SELECT datname, count(*) FROM pg_database WHERE datname IN ('payments_idempotent', 'payments_concurrent') GROUP BY datname ORDER BY datname");

        Assert.Equal([("payments_concurrent", 1L), ("payments_idempotent", 1L)], counts);
    }

    [Theory]
    [InlineData("")]
    [InlineData("orders; DROP DATABASE postgres")]
    [InlineData("9lives")]
    [InlineData("name\"quoted")]
    public async Task A_database_name_that_is_not_a_plain_identifier_is_refused(string name)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => fixture.Server.CreateDatabaseAsync(name, Cancellation));

        Assert.Equal(
            $"'{name}' is not a valid database name: use 1-63 ASCII letters, digits or underscores, starting with a letter or underscore. (Parameter 'name')",
            error.Message);
    }
}

public sealed class EmbeddedPostgresLifetimeTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_data_folder_keeps_its_data_across_two_starts()
    {
        using var temporary = new TemporaryFolder();
        var folder = temporary.Path;
        await using (var first = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = folder }, Cancellation))
        {
            await using var connection = new NpgsqlConnection(first.GetConnectionString());
            await connection.ExecuteAsync("CREATE TABLE kept (note text); INSERT INTO kept VALUES ('survives a restart')");
        }

        Assert.True(File.Exists(Path.Combine(folder, "PG_VERSION")));
        await using (var second = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = folder }, Cancellation))
        {
            await using var connection = new NpgsqlConnection(second.GetConnectionString());
            Assert.Equal("survives a restart", await connection.ExecuteScalarAsync<string>("SELECT note FROM kept"));
        }
    }

    [Fact]
    public async Task A_given_data_folder_not_to_keep_is_removed_at_stop()
    {
        using var temporary = new TemporaryFolder();
        var folder = temporary.Path;
        await using var server = await EmbeddedPostgres.StartAsync(
            new EmbeddedPostgresOptions { DataDirectory = folder, KeepDataDirectory = false }, Cancellation);
        Assert.True(File.Exists(Path.Combine(folder, "PG_VERSION")));

        await server.StopAsync(Cancellation);

        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public async Task After_dispose_no_server_process_port_or_temporary_folder_is_left()
    {
        await using var server = await EmbeddedPostgres.StartAsync(cancellationToken: Cancellation);
        var postmaster = ProcessTable.PostmasterPid(server.DataDirectory);
        await using (var connection = new NpgsqlConnection(server.GetConnectionString()))
        {
            // An open session: the stop must end it rather than wait for it.
            await connection.OpenAsync(Cancellation);
            Assert.True(ProcessTable.IsRunning(postmaster));
            Assert.NotEmpty(ProcessTable.RunningWithCommandLineContaining(server.DataDirectory));

            await server.DisposeAsync();
            await server.DisposeAsync();
        }

        Assert.False(ProcessTable.IsRunning(postmaster));
        Assert.Empty(ProcessTable.RunningWithCommandLineContaining(server.DataDirectory));
        Assert.True(LoopbackPorts.IsFree(server.Port));
        Assert.False(Directory.Exists(server.DataDirectory));
        Assert.False(Directory.Exists(Path.GetDirectoryName(server.DataDirectory)));
    }

    [Fact]
    public async Task A_server_that_fails_to_start_is_reported_with_its_own_last_log_lines()
    {
        using var temporary = new TemporaryFolder();
        var folder = temporary.Path;
        await (await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = folder }, Cancellation)).DisposeAsync();
        await File.AppendAllTextAsync(Path.Combine(folder, "postgresql.conf"), "shared_buffers = plenty\n", Cancellation);

        var error = await Assert.ThrowsAsync<EmbeddedInfrastructureException>(
            () => EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = folder }, Cancellation));

        Assert.StartsWith("PostgreSQL could not start on 127.0.0.1:", error.Message);
        Assert.Contains($"with data folder '{folder}'", error.Message);
        Assert.Contains("invalid value for parameter \"shared_buffers\": \"plenty\"", error.Message);
    }

    [Fact]
    public async Task A_non_empty_folder_that_holds_no_cluster_is_refused_and_left_untouched()
    {
        using var temporary = new TemporaryFolder();
        var folder = temporary.Path;
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "notes.txt"), "not a database", Cancellation);

        var error = await Assert.ThrowsAsync<EmbeddedInfrastructureException>(
            () => EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = folder, KeepDataDirectory = false }, Cancellation));

        Assert.Equal(
            $"The PostgreSQL data folder '{folder}' is not empty but holds no PostgreSQL cluster (it has no PG_VERSION file). " +
            "Point DataDirectory at an existing cluster, an empty folder or a folder that does not exist yet, or empty this one.",
            error.Message);
        Assert.Equal(["notes.txt"], Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_port_already_in_use_is_named_in_the_error()
    {
        using var occupant = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((System.Net.IPEndPoint)occupant.LocalEndpoint).Port;

        var error = await Assert.ThrowsAsync<EmbeddedInfrastructureException>(
            () => EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { Port = port }, Cancellation));

        Assert.Equal($"Port {port} on 127.0.0.1 is already in use; choose another port for PostgreSQL, or 0 for a free one.", error.Message);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_data_folder_the_server_user_cannot_reach_is_explained_when_running_as_root()
    {
        using var temporary = new TemporaryFolder();
        var locked = temporary.Path;
        Directory.CreateDirectory(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var options = new EmbeddedPostgresOptions { DataDirectory = Path.Combine(locked, "data") };
        if (Environment.IsPrivilegedProcess)
        {
            // Root runs the server as 'postgres', which may not enter a folder private to root.
            var error = await Assert.ThrowsAsync<EmbeddedInfrastructureException>(() => EmbeddedPostgres.StartAsync(options, Cancellation));
            Assert.Equal(
                $"PostgreSQL runs as the user 'postgres' (it refuses root), which cannot reach '{options.DataDirectory}' " +
                $"because it may not enter '{locked}'. Choose a data folder it can reach (under /tmp, for example), " +
                $"or let it through with: chmod o+x '{locked}'.",
                error.Message);
        }
        else
        {
            // Any other user runs the server as itself, so its own private folder is fine.
            await using var server = await EmbeddedPostgres.StartAsync(options, Cancellation);
            Assert.True(File.Exists(Path.Combine(locked, "data", "PG_VERSION")));
        }
    }

    [Fact]
    public void Missing_server_binaries_say_how_to_install_them()
    {
        var error = Assert.Throws<EmbeddedInfrastructureException>(
            () => PostgresBinaries.Locate(searchPath: "/nonexistent/bin", versionsRoot: "/nonexistent/postgresql"));

        Assert.Equal("PostgreSQL server binaries not found; run eng/setup.sh (installs the Debian package postgresql).", error.Message);
    }
}
