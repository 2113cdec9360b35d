using System.Globalization;

namespace Checkout.AppHost.Integrations.Postgres;

/// <summary>
/// The command line the app host runs for <see cref="EmbeddedPostgresResource"/>:
/// <c>setpriv [--reuid postgres ...] --pdeathsig TERM -- bash -c STOP_AS_FAST_SHUTDOWN setpriv --pdeathsig INT -- postgres -D ...</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>As the 'postgres' user when the host runs as root (initdb and postgres refuse root), else as the host's user.</item>
/// <item>Stopping the resource sends SIGTERM, which PostgreSQL takes as a "smart" shutdown that waits for every client
/// to disconnect, so the services' pools would hold it open until it is killed. The small shell in front turns SIGTERM
/// into SIGINT, a fast shutdown that ends the sessions and leaves the data consistent: what the official PostgreSQL
/// container image does with STOPSIGNAL SIGINT.</item>
/// <item>Each process is bound to its parent (--pdeathsig): if the host and its orchestrator are killed outright, the
/// shell is told to stop and stops the server; if the shell is killed, the server stops itself. Nothing outlives the host.</item>
/// <item>TCP on 127.0.0.1 only, and no unix socket: nothing is left in a socket folder that a restart would trip over.</item>
/// <item>A server that ends on a signal or with an error code prints nothing about it itself (kill -9 leaves no last
/// words): the shell says so on its way out, so that the resource's log in the dashboard ends with the reason next to
/// the exit code in its state.</item>
/// </list>
/// </remarks>
internal static class EmbeddedPostgresCommand
{
    internal const string Program = "setpriv";

    private const string StopAsFastShutdown =
        """
        trap 'kill -INT "$server" 2>/dev/null' TERM INT
        "$@" &
        server=$!
        wait "$server"; status=$?
        while kill -0 "$server" 2>/dev/null; do wait "$server"; status=$?; done
        if [ "$status" -gt 128 ]; then
          echo "postgres (pid $server) was ended by signal $((status - 128)) (SIG$(kill -l "$status")); exit code $status" >&2
        elif [ "$status" -ne 0 ]; then
          echo "postgres (pid $server) exited with code $status" >&2
        fi
        exit "$status"
        """;

    /// <summary>
    /// Adds the command line. Runs after <see cref="EmbeddedPostgresStartup"/> has checked the binaries, the account,
    /// the port and the data folder, so that a failure here is not one a user could cause.
    /// </summary>
    internal static async Task AddArgumentsAsync(CommandLineArgsCallbackContext context, EmbeddedPostgresResource server)
    {
        var account = await ServerAccount.ResolveAsync(context.CancellationToken);
        var postgres = Path.Combine(server.LocateBinaries(), "postgres");
        string[] arguments =
        [
            .. account.SwitchUserArguments(), "--pdeathsig", "TERM", "--",
            "bash", "-c", StopAsFastShutdown, "postgres-supervisor",
            "setpriv", "--pdeathsig", "INT", "--", postgres,
            "-D", server.DataDirectory,
            "-p", server.Port.ToString(CultureInfo.InvariantCulture),
            "-c", "listen_addresses=127.0.0.1",
            "-c", "unix_socket_directories=",
            // Autovacuum visits each database every few seconds rather than every minute: the services' outboxes are
            // queue tables whose dead rows slow their dispatchers until vacuumed (see messaging_0002_outbox_vacuum.sql).
            "-c", "autovacuum_naptime=5",
        ];
        foreach (var argument in arguments)
            context.Args.Add(argument);
    }
}
