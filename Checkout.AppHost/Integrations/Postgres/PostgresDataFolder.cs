using Microsoft.Extensions.Logging;

namespace Checkout.AppHost.Integrations.Postgres;

/// <summary>A PostgreSQL cluster's data folder: checked, created (initdb) on first use, and handed to the server user.</summary>
internal static class PostgresDataFolder
{
    /// <summary>
    /// Makes <paramref name="dataDirectory"/> ready for the server: creates the cluster when the folder is absent or
    /// empty, keeps the cluster it already holds, and refuses a folder that holds something else.
    /// </summary>
    internal static async Task PrepareAsync(string dataDirectory, ILogger logger, CancellationToken cancellationToken)
    {
        var account = await ServerAccount.ResolveAsync(cancellationToken);
        var holdsCluster = Prepare(dataDirectory);
        await account.GrantAsync([dataDirectory], cancellationToken);
        if (!holdsCluster)
            await InitDbAsync(account, dataDirectory, logger, cancellationToken);
    }

    /// <summary>Returns whether <paramref name="dataDirectory"/> already holds a cluster; creates it when absent.</summary>
    private static bool Prepare(string dataDirectory)
    {
        if (File.Exists(dataDirectory))
            throw new EmbeddedInfrastructureException($"The PostgreSQL data folder '{dataDirectory}' is a file. Point DataDirectory at a folder.");

        if (!Directory.Exists(dataDirectory))
        {
            // Parents get the default mode (the server user must traverse them), the data folder itself is private.
            Directory.CreateDirectory(Path.GetDirectoryName(dataDirectory)!);
            CreatePrivateDirectory(dataDirectory);
            return false;
        }

        if (File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
            return true;

        if (Directory.EnumerateFileSystemEntries(dataDirectory).Any())
        {
            throw new EmbeddedInfrastructureException(
                $"The PostgreSQL data folder '{dataDirectory}' is not empty but holds no PostgreSQL cluster (it has no PG_VERSION file). " +
                "Point DataDirectory at an existing cluster, an empty folder or a folder that does not exist yet, or empty this one.");
        }

        return false;
    }

    private static async Task InitDbAsync(ServerAccount account, string dataDirectory, ILogger logger, CancellationToken cancellationToken)
    {
        logger.LogInformation("Creating a PostgreSQL cluster in {DataDirectory}", dataDirectory);
        var initdb = await ChildProcess.RunAsync(
            account.StartAsServer(
                Path.Combine(PostgresBinaries.Locate(), "initdb"),
                ["-D", dataDirectory, "-U", EmbeddedPostgresResource.SuperUser, "--auth=trust", "-E", "UTF8", "--locale=C"]),
            cancellationToken);
        if (initdb.ExitCode != 0)
        {
            throw new EmbeddedInfrastructureException(
                $"initdb could not create a PostgreSQL cluster in '{dataDirectory}' (exit code {initdb.ExitCode}). " +
                $"Its last lines:{Environment.NewLine}{initdb.Tail()}");
        }
    }

    internal static void CreatePrivateDirectory(string path)
    {
        // The server needs POSIX users and permissions and setpriv: this runs on Linux only.
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("The embedded PostgreSQL runs on Linux only; use Postgres:Mode=External elsewhere.");
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
