namespace Checkout.AppHost.Integrations.Postgres;

/// <summary>Finds the PostgreSQL server programs (initdb, postgres) of the machine.</summary>
internal static class PostgresBinaries
{
    private const string DebianVersionsRoot = "/usr/lib/postgresql";

    /// <summary>The folder holding initdb and postgres: the first on PATH, else Debian's newest /usr/lib/postgresql/N/bin.</summary>
    internal static string Locate() => Locate(Environment.GetEnvironmentVariable("PATH"), DebianVersionsRoot);

    internal static string Locate(string? searchPath, string versionsRoot)
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
            "PostgreSQL server binaries not found; run eng/setup.sh (installs the Debian package postgresql).");
    }

    private static bool HoldsServer(string folder) =>
        File.Exists(Path.Combine(folder, "postgres")) && File.Exists(Path.Combine(folder, "initdb"));
}
