using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Checkout.Infrastructure.Tests;

/// <summary>
/// Records what the app host logs through its own ILogger pipeline, the one `dotnet run` writes to its console.
/// Aspire.Hosting.Testing also forwards every resource's log into that pipeline (category "&lt;app&gt;.Resources.&lt;name&gt;"),
/// which `dotnet run` does not: <see cref="HostEntries"/> leaves those out, so that what it holds is what a user
/// running the app host would read on the console.
/// </summary>
internal sealed class AppHostLog : ILoggerProvider
{
    private readonly ConcurrentQueue<Entry> _entries = new();

    public sealed record Entry(string Category, LogLevel Level, string Message);

    /// <summary>The entries the app host itself logged (not forwarded from a resource's log).</summary>
    public IReadOnlyList<Entry> HostEntries => [.. _entries.Where(entry => !entry.Category.Contains(".Resources.", StringComparison.Ordinal))];

    public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Recorder(AppHostLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log._entries.Enqueue(new Entry(category, logLevel, formatter(state, exception)));
    }
}
