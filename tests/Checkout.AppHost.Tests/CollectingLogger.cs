using Microsoft.Extensions.Logging;

namespace Checkout.AppHost.Tests;

/// <summary>Keeps every line logged to it (all levels: EmbeddedPostgres gives the server's own log at Debug), and passes it on.</summary>
internal sealed class CollectingLogger(Action<string> passOn) : ILogger
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
                return [.. _lines];
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var line = formatter(state, exception);
        lock (_lines)
            _lines.Add(line);
        passOn(line);
    }
}
