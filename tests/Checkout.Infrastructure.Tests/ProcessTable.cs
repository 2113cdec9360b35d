using System.Globalization;

namespace Checkout.Infrastructure.Tests;

/// <summary>What the kernel says about processes, to find a server's processes and check that none outlives a stop.</summary>
internal static class ProcessTable
{
    /// <summary>Whether <paramref name="pid"/> is a live process (a zombie has already exited).</summary>
    public static bool IsRunning(int pid) => Stat(pid) is { } stat && stat.State != 'Z';

    /// <summary>The live processes whose parent is <paramref name="pid"/>.</summary>
    public static IReadOnlyList<int> ChildrenOf(int pid)
    {
        var children = new List<int>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(folder), out var candidate) && Stat(candidate) is { State: not 'Z' } stat && stat.Parent == pid)
                children.Add(candidate);
        }

        return children;
    }

    /// <summary>The postmaster's pid, from the first line of postmaster.pid in a running cluster's data folder.</summary>
    public static int PostmasterPid(string dataDirectory) =>
        int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);

    /// <summary>A running server's processes: the postmaster and the processes it forked (backends, checkpointer...).</summary>
    public static IReadOnlyList<int> ServerProcesses(string dataDirectory)
    {
        var postmaster = PostmasterPid(dataDirectory);
        return [postmaster, .. ChildrenOf(postmaster)];
    }

    private static (char State, int Parent)? Stat(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return null;
        }

        // Format: "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture));
    }
}
