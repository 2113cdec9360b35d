using Checkout.AppHost.Infrastructure;
using System.Diagnostics;
using System.Reflection;

namespace Checkout.Infrastructure.Tests;

/// <summary>
/// The server must not outlive the process that started it, however that process ends. A separate owner process
/// (Checkout.Infrastructure.TestOwner) starts a temporary cluster and is then ended by a signal.
/// </summary>
public sealed class EmbeddedPostgresOwnerDeathTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("KILL")]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task The_server_and_its_temporary_folder_go_when_the_owner_process_is_ended(string signal)
    {
        using var owner = StartOwner();
        int? postmaster = null;
        string? instanceDirectory = null;
        try
        {
            var announcement = await owner.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Bound, TestContext.Current.CancellationToken)
                ?? throw new InvalidOperationException(
                    $"The owner exited before starting PostgreSQL: {await owner.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken)}");
            var port = int.Parse(announcement[..announcement.IndexOf(' ')]);
            var dataDirectory = announcement[(announcement.IndexOf(' ') + 1)..];
            instanceDirectory = Path.GetDirectoryName(dataDirectory)!;
            postmaster = ProcessTable.PostmasterPid(dataDirectory);
            Assert.True(ProcessTable.IsRunning(postmaster.Value));

            await SendSignalAsync(owner.Id, signal);
            await owner.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Bound, TestContext.Current.CancellationToken);

            var server = postmaster.Value;
            Assert.True(await ProcessTable.EventuallyAsync(() => !ProcessTable.IsRunning(server), Bound), $"postmaster {server} still runs");
            Assert.True(await ProcessTable.EventuallyAsync(() => !Directory.Exists(instanceDirectory), Bound), $"{instanceDirectory} still exists");
            Assert.Empty(ProcessTable.RunningWithCommandLineContaining(dataDirectory));
            Assert.True(LoopbackPorts.IsFree(port));
        }
        finally
        {
            // Whatever failed above, leave nothing behind.
            if (!owner.HasExited)
            {
                owner.Kill(entireProcessTree: true);
            }

            if (postmaster is { } pid && ProcessTable.IsRunning(pid))
            {
                Process.GetProcessById(pid).Kill();
            }

            if (instanceDirectory is not null && Directory.Exists(instanceDirectory))
            {
                Directory.Delete(instanceDirectory, recursive: true);
            }
        }
    }

    private static Process StartOwner()
    {
        var assembly = typeof(EmbeddedPostgresOwnerDeathTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(attribute => attribute.Key == "TestOwnerAssembly").Value!;
        var startInfo = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            UseShellExecute = false,
            // Our end of its stdin pipe keeps it waiting; if this test process dies, the owner sees EOF and exits too.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add("exec");
        startInfo.ArgumentList.Add(Path.GetFullPath(assembly));
        return Process.Start(startInfo)!;
    }

    private static async Task SendSignalAsync(int pid, string signal)
    {
        using var kill = Process.Start("kill", ["-s", signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, kill.ExitCode);
    }
}
