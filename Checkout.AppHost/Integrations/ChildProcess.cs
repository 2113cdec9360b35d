using System.Diagnostics;

namespace Checkout.AppHost.Integrations;

/// <summary>Runs a short-lived program to completion and collects what it printed.</summary>
internal static class ChildProcess
{
    internal readonly record struct Result(int ExitCode, string Output)
    {
        /// <summary>The last <paramref name="count"/> non-empty lines of the output, for error messages.</summary>
        internal string Tail(int count = 20) =>
            string.Join(Environment.NewLine, Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(count));
    }

    internal static async Task<Result> RunAsync(ProcessStartInfo startInfo, CancellationToken cancellationToken)
    {
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.UseShellExecute = false;
        using var process = Process.Start(startInfo)
            ?? throw new EmbeddedInfrastructureException($"Could not start '{startInfo.FileName}'.");
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return new Result(process.ExitCode, await output + await error);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }
}
