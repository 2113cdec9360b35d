using System.Diagnostics;
using System.Globalization;

namespace Checkout.AppHost.Integrations;

/// <summary>
/// Runs a long-lived program whose lifetime is bound to this process: it stops when its owner stops, however the
/// owner ends (dispose, Ctrl+C, SIGTERM, a crash, kill -9).
/// </summary>
/// <remarks>
/// The program runs in the background of a small shell supervisor whose standard input is a pipe from this process.
/// Whatever ends this process, the kernel closes the pipe; the supervisor sees end-of-file, sends the program its
/// stop signal, kills it if it is still running after the grace period, waits for it and removes the given folders.
/// The supervisor ignores INT, TERM and HUP: a terminal or service manager that signals the whole group cannot kill
/// it before it has cleaned up. The program inherits those dispositions; a .NET program installs its own SIGTERM
/// handler anyway (so a group TERM still stops it gracefully), while INT and HUP stay ignored: Ctrl+C reaches the
/// owner, which stops the program through this supervisor.
/// PR_SET_PDEATHSIG is not used: it fires when the spawning thread exits, and .NET thread-pool threads do.
/// The supervisor's standard output and error are the program's.
/// It runs in bash, not sh: dash (Debian's sh) drops environment variables whose names are not shell identifiers,
/// and .NET configuration keys such as Messaging__Consumer__fetch.wait.max.ms are such names; bash passes them on.
/// </remarks>
internal static class OwnerBoundProcess
{
    // $1: the stop signal; $2: seconds to wait after it before KILL (0: wait as long as it takes); $3: folders to
    // remove after the program exited, one per line ('' for none); the rest: the program's command line.
    // The escalation polls in 0.1 s steps so that no sleep outlives the supervisor by more than that.
    private const string SupervisorScript = """
        signal=$1; grace=$2; remove=$3; shift 3
        trap '' INT TERM HUP
        exec 3<&0
        "$@" 3<&- </dev/null &
        program=$!
        {
          cat <&3
          kill -"$signal" "$program"
          if [ "$grace" -gt 0 ]; then
            ticks=$((grace * 10))
            while [ "$ticks" -gt 0 ] && kill -0 "$program"; do sleep 0.1; ticks=$((ticks - 1)); done
            kill -KILL "$program"
          fi
        } >/dev/null 2>&1 &
        watcher=$!
        exec 3<&- </dev/null
        wait "$program"; status=$?
        kill -KILL "$watcher" 2>/dev/null
        set -f
        IFS='
        '
        rm -rf -- $remove
        exit $status
        """;

    /// <summary>
    /// A start description of the supervisor running <paramref name="commandLine"/> (program first). Start it with
    /// standard input redirected (it is, here): closing that pipe is the stop request.
    /// </summary>
    /// <param name="name">The supervisor's $0, seen in the process table.</param>
    /// <param name="stopSignal">The signal name sent first (TERM, INT...).</param>
    /// <param name="killAfter">How long the program may take to stop before it is killed; zero to wait as long as it takes.</param>
    /// <param name="removeAfterExit">Folders to remove once the program has exited.</param>
    internal static ProcessStartInfo CreateStartInfo(
        string name, IReadOnlyList<string> commandLine, string stopSignal, TimeSpan killAfter, IReadOnlyList<string> removeAfterExit)
    {
        ArgumentOutOfRangeException.ThrowIfZero(commandLine.Count, nameof(commandLine));
        if (removeAfterExit.Any(folder => folder.Contains('\n', StringComparison.Ordinal)))
        {
            throw new ArgumentException("A folder to remove cannot contain a line break.", nameof(removeAfterExit));
        }

        var startInfo = new ProcessStartInfo("bash")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var graceSeconds = (int)Math.Ceiling(killAfter.TotalSeconds);
        foreach (var argument in (string[])
                 ["-c", SupervisorScript, name, stopSignal, graceSeconds.ToString(CultureInfo.InvariantCulture),
                  string.Join('\n', removeAfterExit), .. commandLine])
        {
            startInfo.ArgumentList.Add(argument);
        }

        return startInfo;
    }

    /// <summary>
    /// Disposes a supervisor whose program has exited on its own, closing the pipe first: the supervisor's watcher
    /// waits on that pipe (in a <c>cat</c>) and would otherwise live on until this process ends.
    /// </summary>
    internal static void Release(Process supervisor)
    {
        try
        {
            supervisor.StandardInput.Close();
        }
        catch (IOException)
        {
            // The other end is gone already: nothing is left waiting on it.
        }
        supervisor.Dispose();
    }

    /// <summary>
    /// Asks the supervisor to stop its program (closes the pipe) and waits for it; kills the whole tree if it has not
    /// exited within <paramref name="timeout"/>. Returns whether it stopped on its own.
    /// </summary>
    internal static async Task<bool> StopAsync(Process supervisor, TimeSpan timeout)
    {
        supervisor.StandardInput.Close();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await supervisor.WaitForExitAsync(deadline.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            supervisor.Kill(entireProcessTree: true);
            await supervisor.WaitForExitAsync();
            return false;
        }
    }
}
