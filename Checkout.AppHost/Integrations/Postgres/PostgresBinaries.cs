namespace Checkout.AppHost.Integrations.Postgres;

/// <summary>Finds the PostgreSQL server programs (initdb, postgres) of the machine, or of a folder the settings name.</summary>
internal static class PostgresBinaries
{
    private const string DebianVersionsRoot = "/usr/lib/postgresql";

    /// <summary>
    /// The folder holding initdb and postgres: <paramref name="configuredFolder"/> (Postgres:BinDirectory) when given,
    /// else the first on PATH, else Debian's newest /usr/lib/postgresql/N/bin.
    /// </summary>
    /// <param name="settingName">The setting that names <paramref name="configuredFolder"/>, for the error message.</param>
    internal static string Locate(string? configuredFolder, string settingName)
    {
        if (string.IsNullOrWhiteSpace(configuredFolder))
            return Search(Environment.GetEnvironmentVariable("PATH"), DebianVersionsRoot);

        // A folder given on purpose is used as it is: falling back to another installation would hide the mistake.
        var folder = Path.GetFullPath(configuredFolder);
        return HoldsServer(folder)
            ? folder
            : throw new EmbeddedInfrastructureException(
                $"the PostgreSQL server programs (postgres, initdb) are not in '{folder}', the folder {settingName} names. " +
                $"Point {settingName} at the folder that holds them (Debian: /usr/lib/postgresql/<version>/bin), " +
                "or remove the setting to use the machine's own (eng/setup.sh installs them).");
    }

    private static string Search(string? searchPath, string versionsRoot)
    {
        foreach (var folder in (searchPath ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (HoldsServer(folder))
            {
                return folder;
            }
        }

        // Debian installs the server outside PATH, one folder per major version.
        var newest = Directory.Exists(versionsRoot)
            ? Directory.EnumerateDirectories(versionsRoot)
                .Select(folder => (Folder: folder, Version: int.TryParse(Path.GetFileName(folder), out var major) ? major : -1))
                .Where(candidate => candidate.Version >= 0 && HoldsServer(Path.Combine(candidate.Folder, "bin")))
                .OrderByDescending(candidate => candidate.Version)
                .Select(candidate => Path.Combine(candidate.Folder, "bin"))
                .FirstOrDefault()
            : null;
        return newest ?? throw new EmbeddedInfrastructureException(
            "the PostgreSQL server programs (postgres, initdb) are not installed: run eng/setup.sh (installs the Debian package postgresql).");
    }

    private static bool HoldsServer(string folder) =>
        File.Exists(Path.Combine(folder, "postgres")) && File.Exists(Path.Combine(folder, "initdb"));
}
