using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Checkout.AppHost.Integrations;

namespace Checkout.Testing.AppHost;

/// <summary>
/// Checkout.AppHost run as a user runs it: its built executable (what <c>dotnet run --project Checkout.AppHost</c>
/// starts after the build) as a child process, with the environment of its launch profile "http", on ports that do not
/// clash with another app host on the machine, and with its PostgreSQL data in a folder of the caller's. Its output is
/// kept and passed on line by line. Disposing it kills what is left of it and waits until DCP has removed the system.
/// </summary>
public sealed partial class AppHostProcess : IAsyncDisposable
{
    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly Action<string> _log;
    private readonly List<string> _lines = [];
    private readonly List<(Regex Pattern, TaskCompletionSource<Match> Found)> _waiters = [];
    private readonly HashSet<int> _seen = [];

    private AppHostProcess(Process process, Action<string> log, string browserToken)
    {
        _process = process;
        _log = log;
        BrowserToken = browserToken;
    }

    /// <summary>The process started: the app host itself, or the <c>dotnet run</c> that runs it.</summary>
    public int Pid => _process.Id;

    /// <summary>The app host's own process (below <c>dotnet run</c> when started through it), once it runs.</summary>
    public int? AppHostPid =>
        ProcessTable.Descendants(ProcessTable.Snapshot(), [Pid])
            .FirstOrDefault(entry => entry.CommandLine.Split(' ')[0] is var program
                && (program.EndsWith("/Checkout.AppHost", StringComparison.Ordinal) || program.EndsWith("Checkout.AppHost.dll", StringComparison.Ordinal)))
            ?.Pid;

    /// <summary>
    /// The dashboard's login URL as the app host printed it (with DcpPublisher:RandomizePorts the dashboard's port is
    /// DCP's pick, not the one asked for); set by <see cref="WaitUntilReadyAsync"/>.
    /// </summary>
    public Uri? LoginUrl { get; private set; }

    /// <summary>The dashboard's address, from <see cref="LoginUrl"/>.</summary>
    public Uri? DashboardUrl => LoginUrl is null ? null : new Uri(LoginUrl.GetLeftPart(UriPartial.Authority));

    public string BrowserToken { get; }

    /// <summary>Everything the app host has printed so far.</summary>
    public string Output
    {
        get
        {
            lock (_lines)
                return string.Join(Environment.NewLine, _lines);
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>The repository's root folder (the one holding Checkout.sln), found upwards from the test's output.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The build configuration this assembly (and so the app host beside it) was built in.</summary>
    public static string Configuration { get; } =
        typeof(AppHostProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>The app host's executable in its build output, of the configuration the tests were built in.</summary>
    public static string Executable { get; } = Path.Combine(
        RepositoryRoot, "Checkout.AppHost", "bin", Configuration, $"net{Environment.Version.Major}.{Environment.Version.Minor}", "Checkout.AppHost");

    /// <summary>
    /// Starts the app host's executable with <paramref name="arguments"/> (its own settings, such as
    /// --Postgres:DataDirectory=...) and the environment <c>dotnet run</c> would give it from its launch profile "http".
    /// The dashboard listens on free ports and takes <paramref name="browserToken"/> (a fresh one when null); the
    /// projects' endpoints get free ports too (DcpPublisher:RandomizePorts, which Aspire.Hosting.Testing sets as well).
    /// </summary>
    public static AppHostProcess Start(IReadOnlyList<string> arguments, Action<string>? log = null, string? browserToken = null)
    {
        if (!File.Exists(Executable))
            throw new FileNotFoundException($"The app host is not built: {Executable}. Build Checkout.AppHost first.", Executable);
        var startInfo = new ProcessStartInfo(Executable);
        var profile = LaunchProfile("http");
        foreach (var (name, value) in profile.Environment)
            startInfo.Environment[name] = value;
        return Start(startInfo, arguments, log, browserToken);
    }

    /// <summary>
    /// Starts the app host exactly as the README says, <c>dotnet run --project Checkout.AppHost</c> (its launch profile,
    /// and the build's up-to-date check), in the configuration the caller was built in; otherwise as <see cref="Start"/>.
    /// </summary>
    public static AppHostProcess StartWithDotnetRun(IReadOnlyList<string> arguments, Action<string>? log = null, string? browserToken = null)
    {
        var startInfo = new ProcessStartInfo("dotnet");
        foreach (var argument in (string[])["run", "--project", Path.Combine(RepositoryRoot, "Checkout.AppHost"), "--configuration", Configuration, "--launch-profile", "http"])
            startInfo.ArgumentList.Add(argument);
        return Start(startInfo, arguments, log, browserToken, throughDotnetRun: true);
    }

    private static AppHostProcess Start(
        ProcessStartInfo startInfo, IReadOnlyList<string> arguments, Action<string>? log, string? browserToken, bool throughDotnetRun = false)
    {
        browserToken ??= Guid.NewGuid().ToString("N");
        startInfo.WorkingDirectory = RepositoryRoot;
        startInfo.UseShellExecute = false;
        startInfo.RedirectStandardInput = true;
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;

        // The launch profile's three dashboard addresses, on free ports; with dotnet run, -e overrides the profile's values.
        var profile = LaunchProfile("http");
        var environment = profile.Environment
            .Where(variable => variable.Value.Contains("://", StringComparison.Ordinal))
            .ToDictionary(variable => variable.Key, variable => ReplacePort(variable.Value), StringComparer.Ordinal);
        environment["ASPNETCORE_URLS"] = ReplacePort(profile.ApplicationUrl);
        environment["ASPIRE_DASHBOARD_FRONTEND_BROWSERTOKEN"] = browserToken;
        foreach (var (name, value) in environment)
        {
            if (throughDotnetRun)
            {
                startInfo.ArgumentList.Add("--environment");
                startInfo.ArgumentList.Add($"{name}={value}");
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        if (throughDotnetRun)
            startInfo.ArgumentList.Add("--");
        foreach (var argument in arguments)
            startInfo.ArgumentList.Add(argument);
        startInfo.ArgumentList.Add("--DcpPublisher:RandomizePorts=true");
        // No colour codes in the lines the tests read.
        startInfo.Environment["DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION"] = "false";
        startInfo.Environment["NO_COLOR"] = "1";

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var host = new AppHostProcess(process, log ?? (_ => { }), browserToken);
        process.OutputDataReceived += (_, line) => host.Add(line.Data);
        process.ErrorDataReceived += (_, line) => host.Add(line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        host._log($"Started the app host, pid {process.Id}: {startInfo.FileName} {string.Join(' ', startInfo.ArgumentList)}");
        return host;
    }

    /// <summary>Waits until a line of the output matches <paramref name="pattern"/> (lines already printed count).</summary>
    public async Task<Match> WaitForLineAsync(Regex pattern, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var found = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lines)
        {
            foreach (var line in _lines)
            {
                if (pattern.Match(line) is { Success: true } match)
                    return match;
            }

            _waiters.Add((pattern, found));
        }

        var exited = _process.WaitForExitAsync(cancellationToken);
        var first = await Task.WhenAny(found.Task, exited, Task.Delay(timeout, cancellationToken));
        if (first == found.Task)
            return await found.Task;
        cancellationToken.ThrowIfCancellationRequested();
        // A last look: the line may have come with the exit.
        if (found.Task.IsCompleted)
            return await found.Task;
        throw new TimeoutException(first == exited
            ? $"The app host exited (code {_process.ExitCode}) before printing a line matching '{pattern}'. Its output:{Environment.NewLine}{Output}"
            : $"The app host printed no line matching '{pattern}' within {timeout.TotalSeconds:0} s. Its output:{Environment.NewLine}{Output}");
    }

    /// <summary>
    /// Waits for the two lines a user looks for: the dashboard's login URL and, once every resource the gateway waits
    /// for (all of them) is healthy and the gateway is too, the gateway's address. Returns the gateway's address.
    /// </summary>
    public async Task<Uri> WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var login = await WaitForLineAsync(LoginLine(), timeout, cancellationToken);
        LoginUrl = new Uri(login.Groups["url"].Value);
        var gateway = await WaitForLineAsync(GatewayReadyLine(), timeout - clock.Elapsed, cancellationToken);
        RememberSystem();
        return new Uri(gateway.Groups["url"].Value);
    }

    /// <summary>The processes of the system as of now (see <see cref="ProcessTable.SystemOf"/>); they are also remembered for the clean-up.</summary>
    public IReadOnlyList<ProcessTable.Entry> RememberSystem()
    {
        var system = ProcessTable.SystemOf(Pid);
        lock (_seen)
            _seen.UnionWith(system.Select(entry => entry.Pid));
        return system;
    }

    /// <summary>Sends SIGTERM, as a service manager or <c>kill</c> does.</summary>
    public void Terminate() => Signal(Signals.Terminate);

    /// <summary>Sends SIGKILL: the app host ends at once, with no chance to stop anything (and dotnet run, if any, after it).</summary>
    public void KillHard()
    {
        Signal(Signals.Kill);
        if (!_process.HasExited)
            _ = Kill(Pid, Signals.Kill);
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Kills the app host if it still runs, then waits until DCP (which watches its pid) has removed every process of
    /// the system; whatever is still there after <see cref="CleanupTimeout"/> is killed, so that a failed test leaves
    /// nothing behind either.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            RememberSystem();
            KillHard();
            await _process.WaitForExitAsync();
        }

        int[] remembered;
        lock (_seen)
            remembered = [.. _seen];
        var until = DateTime.UtcNow + CleanupTimeout;
        while (remembered.Any(ProcessTable.IsAlive) && DateTime.UtcNow < until)
            await Task.Delay(250);
        foreach (var pid in remembered.Where(ProcessTable.IsAlive))
        {
            _log($"Still running {CleanupTimeout.TotalSeconds:0} s after the app host ended; killed: {pid}");
            _ = Kill(pid, Signals.Kill);
        }

        _process.Dispose();
    }

    /// <summary>The line Aspire prints with the dashboard's login URL.</summary>
    [GeneratedRegex(@"Login to the dashboard at (?<url>http\S+/login\?t=(?<token>\S+))")]
    public static partial Regex LoginLine();

    /// <summary>The line Checkout.AppHost prints once the gateway is healthy (TryItHint).</summary>
    [GeneratedRegex(@"The gateway is ready at (?<url>http://\S+) \(OpenAPI")]
    public static partial Regex GatewayReadyLine();

    private void Add(string? line)
    {
        if (line is null)
            return;
        lock (_lines)
        {
            _lines.Add(line);
            foreach (var waiter in _waiters)
            {
                if (waiter.Pattern.Match(line) is { Success: true } match)
                    waiter.Found.TrySetResult(match);
            }

            _waiters.RemoveAll(waiter => waiter.Found.Task.IsCompleted);
        }

        _log("apphost| " + line);
    }

    // To the app host itself: what dotnet run does with a signal is not what is under test.
    private void Signal(int signal)
    {
        if (_process.HasExited)
            return;
        var pid = AppHostPid ?? Pid;
        if (Kill(pid, signal) != 0)
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    private static string ReplacePort(string text) =>
        Regex.Replace(text, @"(?<=://(localhost|127\.0\.0\.1):)\d+", _ => LoopbackPorts.PickFree().ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static (string ApplicationUrl, IReadOnlyDictionary<string, string> Environment) LaunchProfile(string name)
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot, "Checkout.AppHost", "Properties", "launchSettings.json")));
        var profile = settings.RootElement.GetProperty("profiles").GetProperty(name);
        var environment = profile.GetProperty("environmentVariables").EnumerateObject()
            .ToDictionary(variable => variable.Name, variable => variable.Value.GetString() ?? "", StringComparer.Ordinal);
        return (profile.GetProperty("applicationUrl").GetString()!.Split(';')[0], environment);
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Checkout.sln")))
                return directory.FullName;
        }

        throw new InvalidOperationException($"No Checkout.sln above {AppContext.BaseDirectory}.");
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static class Signals
    {
        public const int Kill = 9;
        public const int Terminate = 15;
    }
}
