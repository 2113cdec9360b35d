using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Checkout.Grpc.Tests;

/// <summary>
/// Keeps every log entry of a host, with the values of its scopes (among them the TraceId that the host's
/// ActivityTrackingOptions add), so that a test can check what was logged for one call and with which trace id.
/// </summary>
public sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<Entry> _entries = new();
    private IExternalScopeProvider? _scopes;

    public IReadOnlyCollection<Entry> Entries => _entries;

    /// <summary>The entries logged while serving the trace <paramref name="traceId"/>.</summary>
    public IReadOnlyList<Entry> OfTrace(string traceId) =>
        _entries.Where(entry => entry.Scope.TryGetValue("TraceId", out var id) && id == traceId).ToList();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    /// <summary>One entry: its category, level, formatted message, exception, and its scopes' values as text.</summary>
    public sealed record Entry(string Category, LogLevel Level, string Message, Exception? Exception, IReadOnlyDictionary<string, string?> Scope);

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scope = new Dictionary<string, string?>();
            owner._scopes?.ForEachScope(static (value, values) =>
            {
                if (value is IEnumerable<KeyValuePair<string, object?>> pairs)
                {
                    foreach (var (key, item) in pairs)
                        values[key] = item?.ToString();
                }
            }, scope);
            owner._entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), exception, scope));
        }
    }
}
