using Microsoft.Extensions.Logging;

namespace Checkout.AppHost.Integrations.Postgres;

/// <summary>A PostgreSQL cluster's data folder: checked, created (initdb) on first use, and handed to the server user.</summary>
internal static class PostgresDataFolder
{
    /// <summary>
    /// Makes <paramref name="dataDirectory"/> ready for the server: creates the cluster when the folder is absent or
    /// empty, keeps the cluster it already holds, and refuses a folder that holds something else. Everything that can
    /// be checked is checked before anything is created, so that a refused folder is left as it was.
    /// </summary>
    /// <param name="settingName">The setting that chose the folder (Postgres:DataDirectory), for error messages.</param>
    internal static async Task PrepareAsync(
        string dataDirectory, string binaries, string settingName, ILogger logger, CancellationToken cancellationToken)
    {
        var account = await ServerAccount.ResolveAsync(cancellationToken);
        var contents = Inspect(dataDirectory, settingName);
        await account.EnsureCanReachAsync(dataDirectory, settingName, cancellationToken);
        if (contents == Contents.Missing)
            Create(dataDirectory, settingName);
        await account.GrantAsync(dataDirectory, cancellationToken);
        if (contents != Contents.Cluster)
            await InitDbAsync(account, binaries, dataDirectory, logger, cancellationToken);
    }

    private enum Contents
    {
        Missing,
        Empty,
        Cluster,
    }

    private static Contents Inspect(string dataDirectory, string settingName)
    {
        if (File.Exists(dataDirectory))
            throw new EmbeddedInfrastructureException($"the data folder '{dataDirectory}' is a file. Point {settingName} at a folder.");
        if (!Directory.Exists(dataDirectory))
            return Contents.Missing;
        if (File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
            return Contents.Cluster;
        if (Directory.EnumerateFileSystemEntries(dataDirectory).Any())
        {
            throw new EmbeddedInfrastructureException(
                $"the data folder '{dataDirectory}' is not empty but holds no PostgreSQL cluster (it has no PG_VERSION file); it was left as it is. " +
                $"Point {settingName} at an existing cluster, an empty folder or a folder that does not exist yet, or empty this one.");
        }

        return Contents.Empty;
    }

    private static void Create(string dataDirectory, string settingName)
    {
        // The server needs POSIX users and permissions and setpriv: this runs on Linux only.
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("The embedded PostgreSQL runs on Linux only; use Postgres:Mode=External elsewhere.");
        try
        {
            // Parents get the default mode (the server user must traverse them), the data folder itself is private.
            Directory.CreateDirectory(Path.GetDirectoryName(dataDirectory)!);
            Directory.CreateDirectory(dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception exception) when (exception is UnauthorizedAccessException or IOException)
        {
            throw new EmbeddedInfrastructureException(
                $"the data folder '{dataDirectory}' cannot be created ({exception.Message}). Point {settingName} at a folder this user may write.",
                exception);
        }
    }

    private static async Task InitDbAsync(ServerAccount account, string binaries, string dataDirectory, ILogger logger, CancellationToken cancellationToken)
    {
        logger.LogInformation("Creating a PostgreSQL cluster in {DataDirectory}", dataDirectory);
        var initdb = await ChildProcess.RunAsync(
            account.StartAsServer(
                Path.Combine(binaries, "initdb"),
                ["-D", dataDirectory, "-U", EmbeddedPostgresResource.SuperUser, "--auth=trust", "-E", "UTF8", "--locale=C"]),
            cancellationToken);
        if (initdb.ExitCode != 0)
        {
            throw new EmbeddedInfrastructureException(
                $"initdb could not create a PostgreSQL cluster in '{dataDirectory}' (exit code {initdb.ExitCode}). " +
                $"Its last lines:{Environment.NewLine}{initdb.Tail()}");
        }
    }
}
