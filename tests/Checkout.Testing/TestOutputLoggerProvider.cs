using Microsoft.Extensions.Logging;

namespace Checkout.Testing;

/// <summary>
/// Writes logs into xunit's test output, so a failing test shows what the code under test did meanwhile: into the
/// output given, or else into the running test's. Logs of background threads (a child process's lines, a hosted
/// service) carry no test context: <see cref="RouteLogsToRunningTestAttribute"/> publishes the running test for
/// them in assemblies whose tests run one at a time. Lines logged outside any test (fixture start-up) are dropped.
/// </summary>
public sealed class TestOutputLoggerProvider(ITestOutputHelper? output = null) : ILoggerProvider
{
    private static volatile ITestOutputHelper? _runningTest;

    internal static ITestOutputHelper? RunningTest
    {
        get => _runningTest;
        set => _runningTest = value;
    }

    public ILogger CreateLogger(string categoryName) => new TestOutputLogger(this, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose()
    {
    }

    private ITestOutputHelper? Output => output ?? TestContext.Current.TestOutputHelper ?? RunningTest;

    private sealed class TestOutputLogger(TestOutputLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (provider.Output is not { } output)
            {
                return;
            }

            try
            {
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " | " + exception.GetType().Name + ": " + exception.Message)}");
            }
            catch (InvalidOperationException)
            {
                // The test has just finished; its output is closed.
            }
        }
    }
}
