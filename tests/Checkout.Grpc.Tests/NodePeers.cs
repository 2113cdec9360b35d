using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Checkout.Grpc.Tests;

/// <summary>Runs the grpc-js peers in interop/ as child processes; every process started here is killed when done.</summary>
internal static class NodePeers
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(60);
    private static readonly JsonSerializerOptions SpecOptions = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static string InteropDirectory { get; } = typeof(NodePeers).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(attribute => attribute.Key == "InteropDirectory").Value!;

    /// <summary>Makes one call with grpc-js (client.js) and returns its JSON outcome.</summary>
    public static async Task<JsonElement> CallAsync(object spec)
    {
        using var process = Process.Start(StartInfo("client.js"))!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(CallTimeout);
        try
        {
            // On stdin: a 4 MiB request is too long for a command line.
            await process.StandardInput.WriteAsync(JsonSerializer.Serialize(spec, SpecOptions).AsMemory(), timeout.Token);
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            var output = await stdout;
            if (process.ExitCode != 0 || output.Length == 0)
                throw new InvalidOperationException($"client.js exited with {process.ExitCode}: {await stderr}");
            return JsonDocument.Parse(output).RootElement.Clone();
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>Starts server.js on a free port.</summary>
    public static async Task<NodeServer> StartServerAsync()
    {
        var process = Process.Start(StartInfo("server.js", "0"))!;
        try
        {
            using var timeout = new CancellationTokenSource(CallTimeout);
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                ?? throw new InvalidOperationException($"server.js exited: {await process.StandardError.ReadToEndAsync(timeout.Token)}");
            var port = JsonDocument.Parse(line).RootElement.GetProperty("port").GetInt32();
            return new NodeServer(process, port);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    private static ProcessStartInfo StartInfo(string script, params string[] arguments)
    {
        if (!Directory.Exists(Path.Combine(InteropDirectory, "node_modules", "@grpc", "grpc-js")))
            throw new InvalidOperationException($"@grpc/grpc-js is not installed in {InteropDirectory}: run eng/setup.sh (npm ci).");
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = InteropDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(script);
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        return info;
    }
}
