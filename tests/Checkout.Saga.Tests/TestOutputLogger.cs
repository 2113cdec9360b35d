using Microsoft.Extensions.Logging;

namespace Checkout.Saga.Tests;

/// <summary>
/// Writes logs (the services' output among them) into the output of the test running at that moment, so a failing
/// test shows what the system did meanwhile. The services' lines arrive on threads that carry no test context, so the
/// running test is published by <see cref="RouteLogsToRunningTestAttribute"/> (tests run one at a time). Lines logged
/// outside a test (fixture start-up) are dropped here; the services keep their recent output for error messages.
/// </summary>
internal sealed class TestOutputLoggerProvider : ILoggerProvider
{
    private static volatile ITestOutputHelper? s_runningTest;

    internal static ITestOutputHelper? RunningTest
    {
        get => s_runningTest;
        set => s_runningTest = value;
    }

    public ILogger CreateLogger(string categoryName) => new TestOutputLogger(categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose()
    {
    }

    private sealed class TestOutputLogger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if ((TestContext.Current.TestOutputHelper ?? RunningTest) is not { } output)
            {
                return;
            }

            try
            {
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {category}: {formatter(state, exception)}{(exception is null ? "" : " | " + exception.GetType().Name + ": " + exception.Message)}");
            }
            catch (InvalidOperationException)
            {
                // The test has just finished; its output is closed.
            }
        }
    }
}

/// <summary>Publishes the running test's output to <see cref="TestOutputLoggerProvider"/> for the test's duration.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
internal sealed class RouteLogsToRunningTestAttribute : Xunit.v3.BeforeAfterTestAttribute
{
    public override void Before(System.Reflection.MethodInfo methodUnderTest, Xunit.v3.IXunitTest test) =>
        TestOutputLoggerProvider.RunningTest = TestContext.Current.TestOutputHelper;

    public override void After(System.Reflection.MethodInfo methodUnderTest, Xunit.v3.IXunitTest test) =>
        TestOutputLoggerProvider.RunningTest = null;
}
