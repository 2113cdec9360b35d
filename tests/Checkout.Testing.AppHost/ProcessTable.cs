using System.Globalization;
using System.Text;

namespace Checkout.Testing.AppHost;

/// <summary>
/// The machine's process table and listening TCP ports, read from /proc: what an app host left running is judged from
/// here, not from what the app host says of itself. Other people's processes run on the same machine, so every
/// question is asked of a given set of processes (an app host's system), never of the whole table.
/// </summary>
public static class ProcessTable
{
    /// <summary>One process: its id, its parent's id and its command line (arguments joined by spaces).</summary>
    public sealed record Entry(int Pid, int ParentPid, string CommandLine)
    {
        public override string ToString() => $"{Pid} (parent {ParentPid}): {CommandLine}";
    }

    /// <summary>Every process alive now (zombies, which hold nothing but their exit status, are left out).</summary>
    public static IReadOnlyList<Entry> Snapshot()
    {
        var entries = new List<Entry>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                continue;
            if (Read(pid) is { } entry)
                entries.Add(entry);
        }

        return entries;
    }

    /// <summary>Whether <paramref name="pid"/> is a live (not zombie) process.</summary>
    public static bool IsAlive(int pid) => Read(pid) is not null;

    /// <summary>Whether the process of <paramref name="entry"/> still runs (its pid alive with the same command line, not a reused pid).</summary>
    public static bool IsRunning(Entry entry) => Read(entry.Pid)?.CommandLine == entry.CommandLine;

    /// <summary>
    /// The processes an app host runs: its own tree (from <c>dotnet run</c> down, when started so) and the tree of each
    /// DCP API server that monitors a process of it. DCP's server
    /// detaches from the app host (its parent becomes init), so it is found by its <c>--monitor &lt;pid&gt;</c> argument;
    /// the controllers, the dashboard, the executables (PostgreSQL) and the projects descend from it.
    /// </summary>
    public static IReadOnlyList<Entry> SystemOf(int appHostPid)
    {
        var table = Snapshot();
        // The pid DCP watches is the app host's, which runs below `dotnet run` when started through it.
        var tree = Descendants(table, [appHostPid]).Select(entry => entry.Pid).ToHashSet();
        var servers = table.Where(entry => tree.Any(pid => MonitorsPid(entry, pid))).Select(entry => entry.Pid);
        return Descendants(table, [appHostPid, .. servers]);
    }

    /// <summary><paramref name="roots"/> and every process below them in <paramref name="table"/>.</summary>
    public static IReadOnlyList<Entry> Descendants(IReadOnlyList<Entry> table, IEnumerable<int> roots)
    {
        var children = table.ToLookup(entry => entry.ParentPid);
        var byPid = table.ToDictionary(entry => entry.Pid);
        var found = new List<Entry>();
        var pending = new Queue<int>(roots);
        var seen = new HashSet<int>();
        while (pending.TryDequeue(out var pid))
        {
            if (!seen.Add(pid))
                continue;
            if (byPid.TryGetValue(pid, out var entry))
                found.Add(entry);
            foreach (var child in children[pid])
                pending.Enqueue(child.Pid);
        }

        return found;
    }

    /// <summary>The environment <paramref name="pid"/> was started with (empty if it is gone or unreadable).</summary>
    public static IReadOnlyDictionary<string, string> Environment(int pid)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (var pair in File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0)
                    variables[pair[..equals]] = pair[(equals + 1)..];
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Gone meanwhile.
        }

        return variables;
    }

    /// <summary>Every TCP port (IPv4 and IPv6) on which some process of the machine listens.</summary>
    public static IReadOnlySet<int> ListeningPorts() => ListeningSockets().Values.ToHashSet();

    /// <summary>The TCP ports (IPv4 and IPv6) on which any of <paramref name="pids"/> listens.</summary>
    public static IReadOnlySet<int> ListeningPorts(IEnumerable<int> pids)
    {
        var listening = ListeningSockets();
        var ports = new HashSet<int>();
        foreach (var pid in pids)
        {
            try
            {
                foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
                {
                    var target = new FileInfo(fd).LinkTarget;
                    if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && listening.TryGetValue(target[8..^1], out var port))
                        ports.Add(port);
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or a descriptor closed while we looked.
            }
        }

        return ports;
    }

    // A listening socket is a line of /proc/net/tcp{,6} in state 0A; its inode (the key) is what the owner's fd links name.
    private static Dictionary<string, int> ListeningSockets()
    {
        var listening = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var table in (string[])["/proc/net/tcp", "/proc/net/tcp6"])
        {
            if (!File.Exists(table))
                continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && fields[3] == "0A")
                    listening[fields[9]] = int.Parse(fields[1][(fields[1].LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }

        return listening;
    }

    private static bool MonitorsPid(Entry entry, int pid) =>
        entry.CommandLine.Contains(" start-apiserver ", StringComparison.Ordinal)
        && entry.CommandLine.Contains($" --monitor {pid.ToString(CultureInfo.InvariantCulture)} ", StringComparison.Ordinal);

    private static Entry? Read(int pid)
    {
        try
        {
            // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so split after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields[0] is "Z" or "X")
                return null;
            var commandLine = Encoding.UTF8.GetString(File.ReadAllBytes($"/proc/{pid}/cmdline")).TrimEnd('\0').Replace('\0', ' ');
            return new Entry(pid, int.Parse(fields[1], CultureInfo.InvariantCulture), commandLine);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
