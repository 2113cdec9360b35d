using System.Diagnostics;
using System.Text.Json;

namespace Checkout.Bench.Grpc;

/// <summary>A server under test in its own process, ended by closing its stdin, or killed.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>This benchmark's own executable serving <paramref name="kind"/> (see <see cref="EchoServers"/>).</summary>
    public static Task<ServerProcess> StartDotnetAsync(string kind) =>
        StartAsync(new ProcessStartInfo(Environment.ProcessPath!) { ArgumentList = { "serve", kind } },
            line => line.StartsWith("listening ", StringComparison.Ordinal) ? new Uri(line["listening ".Length..]) : null);

    /// <summary>The grpc-js echo server of the interop tests, on a free port.</summary>
    public static Task<ServerProcess> StartNodeAsync(string interopDirectory)
    {
        if (!Directory.Exists(Path.Combine(interopDirectory, "node_modules", "@grpc", "grpc-js")))
            throw new InvalidOperationException($"@grpc/grpc-js is not installed in {interopDirectory}: run eng/setup.sh.");
        return StartAsync(new ProcessStartInfo("node") { WorkingDirectory = interopDirectory, ArgumentList = { "server.js", "0" } },
            line => line.Contains("\"port\"", StringComparison.Ordinal)
                ? new Uri($"http://127.0.0.1:{JsonDocument.Parse(line).RootElement.GetProperty("port").GetInt32()}")
                : null);
    }

    private static async Task<ServerProcess> StartAsync(ProcessStartInfo info, Func<string, Uri?> addressIn)
    {
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.UseShellExecute = false;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{info.FileName} did not start.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (addressIn(line) is { } address)
                {
                    // Nothing more is read from its stdout: drained, so that a line it writes never blocks it.
                    _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
                    return new ServerProcess(process, address);
                }
            }

            throw new InvalidOperationException($"{info.FileName} {string.Join(' ', info.ArgumentList)} exited before listening.");
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
    }
}
