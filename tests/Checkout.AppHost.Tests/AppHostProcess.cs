using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Checkout.AppHost.Hosting;
using Checkout.AppHost.Infrastructure;

namespace Checkout.AppHost.Tests;

/// <summary>
/// Checkout.AppHost run as the README runs it (its built assembly, with --no-build since the test build built the
/// projects), read through its console output: the state lines it prints ("apphost | orders Running healthy, URL, pid N")
/// and its ready line. The process is owner-bound: it cannot outlive the test run, even if the test process dies.
/// </summary>
internal sealed partial class AppHostProcess : IAsyncDisposable
{
    public static readonly TimeSpan ReadyDeadline = TimeSpan.FromMinutes(3);
    private static readonly string Configuration =
        typeof(AppHostProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;

    private readonly Process _supervisor;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentQueue<(string Resource, string State, string Detail)> _states = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AppHostProcess(Process supervisor) => _supervisor = supervisor;

    /// <summary>The AppHost's built assembly, in the configuration of this test build.</summary>
    public static string AssemblyPath => Path.Combine(
        CheckoutSystem.FindRepositoryRoot(), "Checkout.AppHost", "bin", Configuration, "net" + Environment.Version.ToString(2), "Checkout.AppHost.dll");

    /// <summary>Everything it printed so far, standard output and error interleaved.</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    public bool HasExited => _supervisor.HasExited;

    public int ExitCode => _supervisor.ExitCode;

    /// <summary>The AppHost's own process id (the supervisor's only child).</summary>
    public int ProcessId => int.Parse(File.ReadAllText($"/proc/{_supervisor.Id}/task/{_supervisor.Id}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);

    public static AppHostProcess Start(params string[] arguments)
    {
        var startInfo = OwnerBoundProcess.CreateStartInfo(
            "checkout-apphost-under-test", ["dotnet", AssemblyPath, "--no-build", .. arguments],
            stopSignal: "TERM", killAfter: TimeSpan.FromSeconds(60), removeAfterExit: []);
        startInfo.WorkingDirectory = CheckoutSystem.FindRepositoryRoot();
        var supervisor = new Process { StartInfo = startInfo };
        var host = new AppHostProcess(supervisor);
        supervisor.OutputDataReceived += (_, line) => host.Record(line.Data);
        supervisor.ErrorDataReceived += (_, line) => host.Record(line.Data);
        supervisor.Start();
        supervisor.BeginOutputReadLine();
        supervisor.BeginErrorReadLine();
        return host;
    }

    /// <summary>Waits until it printed its ready line; fails with its output if it exits or the deadline passes first.</summary>
    public async Task WaitUntilReadyAsync()
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(ReadyDeadline);
        var exited = _supervisor.WaitForExitAsync(deadline.Token);
        var first = await Task.WhenAny(_ready.Task, exited, Task.Delay(Timeout.Infinite, deadline.Token));
        Assert.True(first == _ready.Task, $"The AppHost did not become ready ({(HasExited ? $"exited with code {ExitCode}" : "deadline passed")}). Its output:\n{Output}");
    }

    /// <summary>
    /// Waits until <paramref name="resource"/> has reported <paramref name="state"/> (at any time since the start) with a
    /// detail that <paramref name="matches"/>; returns that detail.
    /// </summary>
    public async Task<string> WaitForStateAsync(string resource, string state, Func<string, bool>? matches = null)
    {
        var until = DateTime.UtcNow + ReadyDeadline;
        while (true)
        {
            if (_states.FirstOrDefault(report => report.Resource == resource && report.State == state && (matches is null || matches(report.Detail))) is { Detail: { } detail })
            {
                return detail;
            }

            Assert.False(HasExited, $"The AppHost exited (code {(HasExited ? ExitCode : 0)}) before {resource} was {state}. Its output:\n{Output}");
            Assert.True(DateTime.UtcNow < until, $"{resource} was not {state} within {ReadyDeadline.TotalSeconds:0} s. The AppHost's output:\n{Output}");
            await Task.Delay(TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Whether <paramref name="resource"/> has reported <paramref name="state"/> since the start.</summary>
    public bool EverReported(string resource, string state) =>
        _states.Any(report => report.Resource == resource && report.State == state);

    /// <summary>The detail of the last state <paramref name="resource"/> reported.</summary>
    public string Detail(string resource) => _states.Last(report => report.Resource == resource).Detail;

    /// <summary>A running project's endpoint, from its state line.</summary>
    public Uri Endpoint(string project) => new(EndpointPattern().Match(Detail(project)).Value);

    /// <summary>A running project's process id, from its state line.</summary>
    public int ServicePid(string project) =>
        int.Parse(PidPattern().Match(Detail(project)).Groups[1].Value, CultureInfo.InvariantCulture);

    /// <summary>The client of the running services, from their state lines.</summary>
    public CheckoutClient Client(params string[] projects) =>
        new(projects.ToDictionary(project => project, Endpoint, StringComparer.Ordinal));

    /// <summary>The AppHost and every process below it (its supervisors, the services, PostgreSQL).</summary>
    public IReadOnlyList<(int Pid, string Name)> ProcessTree() =>
        Descendants(ProcessId).Prepend(ProcessId).Select(pid => (pid, NameOf(pid))).Where(process => process.Item2.Length > 0).ToList();

    /// <summary>Sends SIGTERM to the AppHost itself (as a service manager or `kill` would), and waits for it to exit.</summary>
    public async Task<int> TerminateAsync()
    {
        Assert.Equal(0, Kill(ProcessId, Sigterm));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(90));
        await _supervisor.WaitForExitAsync(deadline.Token);
        return _supervisor.ExitCode;
    }

    /// <summary>Waits for the AppHost to exit on its own (a failed start).</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(ReadyDeadline);
        await _supervisor.WaitForExitAsync(deadline.Token);
        // The output pipes drain after the exit: a parameterless wait flushes them.
        _supervisor.WaitForExit();
        return _supervisor.ExitCode;
    }

    /// <summary>Kills <paramref name="pid"/> with SIGKILL (a crash the process cannot handle).</summary>
    public static void KillHard(int pid) => Assert.Equal(0, Kill(pid, Sigkill));

    public static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);

    public async ValueTask DisposeAsync()
    {
        if (!_supervisor.HasExited)
        {
            await OwnerBoundProcess.StopAsync(_supervisor, TimeSpan.FromSeconds(90));
        }

        _supervisor.Dispose();
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        if (StateLine().Match(line) is { Success: true } match)
        {
            _states.Enqueue((match.Groups["resource"].Value, match.Groups["state"].Value, match.Groups["detail"].Value.Trim()));
        }
        else if (line.StartsWith("Checkout is ready:", StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }

    private static List<int> Descendants(int root)
    {
        var result = new List<int>();
        var pending = new Queue<int>([root]);
        while (pending.TryDequeue(out var pid))
        {
            // Each thread lists the children it started: the AppHost starts them from thread-pool threads.
            string[] tasks;
            try
            {
                tasks = Directory.GetDirectories($"/proc/{pid}/task");
            }
            catch (IOException)
            {
                continue; // the process ended meanwhile
            }

            foreach (var task in tasks)
            {
                string children;
                try
                {
                    children = File.ReadAllText(Path.Combine(task, "children"));
                }
                catch (IOException)
                {
                    continue; // the thread ended meanwhile
                }

                foreach (var child in children.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse))
                {
                    result.Add(child);
                    pending.Enqueue(child);
                }
            }
        }

        return result;
    }

    private static string NameOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    private const int Sigkill = 9;
    private const int Sigterm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [GeneratedRegex(@"^apphost\s+\| (?<resource>\S+)\s+(?<state>Waiting|Building|Starting|Running|Exited|Restarting|Failed|Stopping|Stopped)\b(?<detail>.*)$")]
    private static partial Regex StateLine();

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+")]
    private static partial Regex EndpointPattern();

    [GeneratedRegex(@"pid (\d+)")]
    private static partial Regex PidPattern();
}
