using Microsoft.Extensions.Logging;

namespace Checkout.AppHost.Hosting;

/// <summary>
/// The console output of every resource (a project's standard output and error, the embedded PostgreSQL's log, the
/// host's own messages about it), written to the host's console, each line prefixed with the resource's name. It is
/// an <see cref="ILoggerProvider"/>: a resource logs under the category "Checkout.AppHost.Resources.&lt;name&gt;".
/// </summary>
public sealed class ResourceLogs(TextWriter? console) : ILoggerProvider
{
    /// <summary>The category prefix of resource loggers.</summary>
    public const string CategoryPrefix = "Checkout.AppHost.Resources.";

    private readonly Lock _consoleGate = new();
    private int _prefixWidth = 14;

    /// <summary>Aligns the prefixes on the longest resource name.</summary>
    internal void AlignOn(IEnumerable<string> names) => _prefixWidth = Math.Max(_prefixWidth, names.Max(name => name.Length) + 1);

    public ILogger CreateLogger(string categoryName) =>
        categoryName.StartsWith(CategoryPrefix, StringComparison.Ordinal)
            ? new ResourceLogger(this, categoryName[CategoryPrefix.Length..])
            : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public void Dispose()
    {
    }

    private void Write(string resource, LogLevel level, string message)
    {
        if (console is not null && level >= LogLevel.Information)
        {
            var line = level >= LogLevel.Warning ? $"{LevelName(level)}: {message}" : message;
            lock (_consoleGate)
            {
                console.WriteLine($"{resource.PadRight(_prefixWidth)}| {line}");
            }
        }
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };

    private sealed class ResourceLogger(ResourceLogs logs, string resource) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                logs.Write(resource, logLevel, exception is null ? formatter(state, exception) : $"{formatter(state, exception)} ({exception.Message})");
            }
        }
    }
}
