using System.Diagnostics;

namespace Checkout.AppHost.Integrations.Postgres;

/// <summary>
/// The user the PostgreSQL server runs as. initdb and postgres refuse to run as root, and root is what CI and this
/// project's machines run as, so a root process runs them as the unprivileged 'postgres' user the Debian package
/// creates; any other user runs them as itself.
/// </summary>
internal sealed class ServerAccount
{
    internal const string ServiceUser = "postgres";

    private ServerAccount(string? switchToUser) => SwitchToUser = switchToUser;

    /// <summary>The user to switch to, or null to run as the current user.</summary>
    internal string? SwitchToUser { get; }

    internal static async Task<ServerAccount> ResolveAsync(CancellationToken cancellationToken)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return new ServerAccount(null);
        }

        var lookup = await ChildProcess.RunAsync(Start("id", ["-u", ServiceUser]), cancellationToken);
        if (lookup.ExitCode != 0)
        {
            throw new EmbeddedInfrastructureException(
                $"PostgreSQL refuses to run as root and the unprivileged user '{ServiceUser}' does not exist; " +
                "run eng/setup.sh (installs the Debian package postgresql, which creates it).");
        }

        return new ServerAccount(ServiceUser);
    }

    /// <summary>The setpriv options that switch to the server user, if any.</summary>
    internal IEnumerable<string> SwitchUserArguments() =>
        SwitchToUser is null ? [] : ["--reuid", SwitchToUser, "--regid", SwitchToUser, "--init-groups"];

    /// <summary>A start description for <paramref name="program"/> that runs it as the server user.</summary>
    internal ProcessStartInfo StartAsServer(string program, IEnumerable<string> arguments) =>
        SwitchToUser is null
            ? Start(program, arguments)
            // setpriv execs the program itself (runuser would stay as its parent), so the pid we see is the server's.
            : Start("setpriv", [.. SwitchUserArguments(), "--", program, .. arguments]);

    /// <summary>The command line (program first) that runs <paramref name="program"/> as the server user.</summary>
    internal IEnumerable<string> CommandLineAsServer(string program, IEnumerable<string> arguments)
    {
        var startInfo = StartAsServer(program, arguments);
        return [startInfo.FileName, .. startInfo.ArgumentList];
    }

    /// <summary>
    /// Hands <paramref name="folders"/> to the server user, after checking it can reach them. We do not open up
    /// ancestors (chmod o+x) ourselves: widening access to someone's home folder is the owner's decision, so the
    /// error names the folder and the command instead.
    /// </summary>
    internal async Task GrantAsync(IReadOnlyList<string> folders, CancellationToken cancellationToken)
    {
        if (SwitchToUser is null)
        {
            return;
        }

        // The folders themselves are about to become the server user's; what it must be allowed through is above them.
        var ancestors = folders
            .SelectMany(Ancestors)
            .Except(folders.Select(Path.GetFullPath), StringComparer.Ordinal)
            .OrderBy(folder => folder.Length)
            .ToList();
        var probe = await ChildProcess.RunAsync(
            StartAsServer("sh", ["-c", """for d; do [ -x "$d" ] || { printf '%s' "$d"; exit 1; }; done""", "sh", .. ancestors]),
            cancellationToken);
        if (probe.ExitCode != 0)
        {
            var blocked = probe.Output.Trim();
            throw new EmbeddedInfrastructureException(
                $"PostgreSQL runs as the user '{SwitchToUser}' (it refuses root), which cannot reach '{folders[^1]}' " +
                $"because it may not enter '{blocked}'. Choose a data folder it can reach (under /tmp, for example), " +
                $"or let it through with: chmod o+x '{blocked}'.");
        }

        var chown = await ChildProcess.RunAsync(Start("chown", [$"{SwitchToUser}:{SwitchToUser}", .. folders]), cancellationToken);
        if (chown.ExitCode != 0)
        {
            throw new EmbeddedInfrastructureException(
                $"Could not give {string.Join(", ", folders.Select(folder => $"'{folder}'"))} to the user '{SwitchToUser}': {chown.Tail()}");
        }
    }

    private static IEnumerable<string> Ancestors(string folder)
    {
        for (var parent = Path.GetDirectoryName(Path.GetFullPath(folder)); parent is not null; parent = Path.GetDirectoryName(parent))
        {
            yield return parent;
        }
    }

    private static ProcessStartInfo Start(string program, IEnumerable<string> arguments)
    {
        // "/" as working folder: the server user may not be allowed into ours, and initdb warns when it cannot return to it.
        var startInfo = new ProcessStartInfo(program) { UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        return startInfo;
    }
}
