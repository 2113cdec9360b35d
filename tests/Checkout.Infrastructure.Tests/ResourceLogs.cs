using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Checkout.Infrastructure.Tests;

/// <summary>A resource's log as the dashboard's console logs show it: the app host's lines about it and what its process printed.</summary>
internal static partial class ResourceLogs
{
    public static async Task<IReadOnlyList<string>> ReadAsync(DistributedApplication app, string resourceName)
    {
        var resource = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resourceName);
        var lines = new List<string>();
        await foreach (var batch in app.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(resource).WithCancellation(TestContext.Current.CancellationToken))
            lines.AddRange(batch.Select(line => Timestamp().Replace(line.Content, "")));
        return lines;
    }

    // Each line's content starts with the time it was logged at, which the dashboard shows in a column of its own.
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z ")]
    private static partial Regex Timestamp();

    /// <summary>Reads the log until a line contains <paramref name="text"/> (the process's output reaches it a moment after it is printed).</summary>
    public static async Task<IReadOnlyList<string>> WaitForLineAsync(DistributedApplication app, string resourceName, string text) =>
        await Eventually.UntilAsync(
            () => ReadAsync(app, resourceName),
            lines => lines.Any(line => line.Contains(text, StringComparison.Ordinal)),
            lines => $"no line of {resourceName}'s log contains '{text}'; its last lines:{Environment.NewLine}{string.Join(Environment.NewLine, lines.TakeLast(20))}",
            TimeSpan.FromSeconds(30));
}
