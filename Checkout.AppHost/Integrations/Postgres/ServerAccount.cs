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

    /// <summary>
    /// Checks that the server user may reach <paramref name="folder"/> (whether or not it exists yet): that it may enter
    /// every existing folder above it. We do not open up ancestors (chmod o+x) ourselves: widening access to someone's
    /// home folder is the owner's decision, so the error names the folder and the command instead.
    /// </summary>
    /// <param name="settingName">The setting that chose <paramref name="folder"/>, for the error message.</param>
    internal async Task EnsureCanReachAsync(string folder, string settingName, CancellationToken cancellationToken)
    {
        if (SwitchToUser is null)
        {
            return;
        }

        // The folder itself is about to become the server user's; what it must be allowed through is above it. Folders
        // not there yet will be created by us with the default mode, which lets everyone through.
        var ancestors = Ancestors(folder).Where(Directory.Exists).OrderBy(ancestor => ancestor.Length).ToList();
        var probe = await ChildProcess.RunAsync(
            StartAsServer("sh", ["-c", """for d; do [ -x "$d" ] || { printf '%s' "$d"; exit 1; }; done""", "sh", .. ancestors]),
            cancellationToken);
        if (probe.ExitCode != 0)
        {
            var blocked = probe.Output.Trim();
            throw new EmbeddedInfrastructureException(
                $"PostgreSQL runs as the user '{SwitchToUser}' (it refuses root), which cannot reach the data folder '{folder}' " +
                $"because it may not enter '{blocked}'. Choose a data folder it can reach with {settingName} (under /tmp, for example), " +
                $"or let it through with: chmod o+x '{blocked}'.");
        }
    }

    /// <summary>Hands <paramref name="folder"/> to the server user (when the host runs as root; else it is ours already).</summary>
    internal async Task GrantAsync(string folder, CancellationToken cancellationToken)
    {
        if (SwitchToUser is null)
        {
            return;
        }

        var chown = await ChildProcess.RunAsync(Start("chown", [$"{SwitchToUser}:{SwitchToUser}", folder]), cancellationToken);
        if (chown.ExitCode != 0)
        {
            throw new EmbeddedInfrastructureException($"could not give the data folder '{folder}' to the user '{SwitchToUser}': {chown.Tail()}");
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
