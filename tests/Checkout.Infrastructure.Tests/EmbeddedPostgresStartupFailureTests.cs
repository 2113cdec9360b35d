using System.Net;
using System.Net.Sockets;
using Aspire.Hosting.ApplicationModel;
using Checkout.Testing.AppHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Checkout.Infrastructure.Tests;

/// <summary>
/// A start of the embedded PostgreSQL that cannot succeed explains itself with one message naming the resource and
/// what to do, in the resource's log (the dashboard) and in the app host's own log (the console of `dotnet run`); the
/// resource is FailedToStart, and nothing was started or changed on disk.
/// </summary>
public sealed class EmbeddedPostgresStartupFailureTests
{
    private const string Server = "postgres";
    private const string Prefix = $"PostgreSQL '{Server}' cannot start: ";

    [Fact]
    public async Task Missing_server_programs_name_the_folder_searched_and_the_setting()
    {
        using var folder = new TemporaryFolder();
        var binaries = Directory.CreateDirectory(Path.Combine(folder.Path, "bin")).FullName;
        var dataDirectory = Path.Combine(folder.Path, "data");

        var message = await FailedStartAsync($"--Postgres:BinDirectory={binaries}", $"--Postgres:DataDirectory={dataDirectory}");

        Assert.Equal(
            Prefix + $"the PostgreSQL server programs (postgres, initdb) are not in '{binaries}', the folder Postgres:BinDirectory names. " +
            "Point Postgres:BinDirectory at the folder that holds them (Debian: /usr/lib/postgresql/<version>/bin), " +
            "or remove the setting to use the machine's own (eng/setup.sh installs them).",
            message);
        Assert.False(Directory.Exists(dataDirectory));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_data_folder_the_server_user_cannot_use_is_explained_and_nothing_is_created_in_it()
    {
        using var folder = new TemporaryFolder();
        // Readable and enterable by its owner only, and not writable: as root, the server runs as 'postgres', which may
        // not enter it (as under /root); as any other user, the server runs as that user, who may not create in it.
        var locked = Directory.CreateDirectory(folder.Path).FullName;
        var dataDirectory = Path.Combine(locked, "data");
        File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        var message = await FailedStartAsync($"--Postgres:DataDirectory={dataDirectory}");

        Assert.Equal(
            Environment.IsPrivilegedProcess
                ? Prefix + $"PostgreSQL runs as the user 'postgres' (it refuses root), which cannot reach the data folder '{dataDirectory}' " +
                  $"because it may not enter '{locked}'. Choose a data folder it can reach with Postgres:DataDirectory (under /tmp, for example), " +
                  $"or let it through with: chmod o+x '{locked}'."
                : Prefix + $"the data folder '{dataDirectory}' cannot be created (Access to the path '{dataDirectory}' is denied.). " +
                  "Point Postgres:DataDirectory at a folder this user may write.",
            message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(locked));
    }

    [Fact]
    public async Task A_fixed_port_already_in_use_names_the_port_and_the_setting()
    {
        using var folder = new TemporaryFolder();
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;

        var message = await FailedStartAsync($"--Postgres:Port={port}", $"--Postgres:DataDirectory={folder.Path}");

        Assert.Equal(
            Prefix + $"port {port} on 127.0.0.1 is already in use by another process. " +
            "Set Postgres:Port to a free port, or to 0 for one picked at each start of the app host.",
            message);
        Assert.False(Directory.Exists(folder.Path));
    }

    [Fact]
    public async Task A_folder_that_holds_something_else_than_a_cluster_is_refused_and_left_untouched()
    {
        using var folder = new TemporaryFolder();
        Directory.CreateDirectory(folder.Path);
        await File.WriteAllTextAsync(Path.Combine(folder.Path, "notes.txt"), "not a database", TestContext.Current.CancellationToken);

        var message = await FailedStartAsync($"--Postgres:DataDirectory={folder.Path}");

        Assert.Equal(
            Prefix + $"the data folder '{folder.Path}' is not empty but holds no PostgreSQL cluster (it has no PG_VERSION file); it was left as it is. " +
            "Point Postgres:DataDirectory at an existing cluster, an empty folder or a folder that does not exist yet, or empty this one.",
            message);
        Assert.Equal(["notes.txt"], Directory.EnumerateFileSystemEntries(folder.Path).Select(Path.GetFileName));
    }

    /// <summary>
    /// Starts the app host's PostgreSQL alone with <paramref name="arguments"/>, expects it to fail to start, checks
    /// that the resource's log and the app host's log both carry the same one-line explanation, and returns it.
    /// </summary>
    private static async Task<string> FailedStartAsync(params string[] arguments)
    {
        var hostLog = new LogRecorder();
        await using var app = await CheckoutApp.StartAsync(
            new CheckoutAppOptions
            {
                Resources = [Server],
                Arguments = arguments,
                WaitUntilHealthy = false,
                Configure = builder => builder.Services.AddSingleton<ILoggerProvider>(hostLog),
            },
            TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var failed = await app.App.ResourceNotifications.WaitForResourceAsync(
            Server, e => e.Snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state), timeout.Token);
        Assert.Equal(KnownResourceStates.FailedToStart, failed.Snapshot.State?.Text);

        // Aspire.Hosting.Testing also forwards each resource's log into the app host's (category "<app>.Resources.<name>"),
        // which `dotnet run` does not: leaving those out leaves what a user would read on the app host's console.
        var explanation = Assert.Single(
            hostLog.Entries.Where(entry => !entry.Category.Contains(".Resources.", StringComparison.Ordinal)),
            entry => entry.Level == LogLevel.Error && entry.Message.StartsWith(Prefix, StringComparison.Ordinal));
        var resourceLog = await ResourceLogs.ReadAsync(app.App, Server);
        Assert.Contains(explanation.Message, resourceLog);
        return explanation.Message;
    }
}
