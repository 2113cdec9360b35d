using System.Diagnostics;
using Checkout.AppHost.Infrastructure;

namespace Checkout.Infrastructure.Tests;

/// <summary>The supervisor that binds a program to its owner, seen from the program's side.</summary>
public sealed class OwnerBoundProcessTests
{
    [Fact]
    public async Task The_program_gets_environment_variables_whose_names_are_configuration_keys_with_dots()
    {
        var startInfo = OwnerBoundProcess.CreateStartInfo("env-check", ["env"], "TERM", TimeSpan.FromSeconds(5), []);
        startInfo.Environment["Messaging__Consumer__fetch.wait.max.ms"] = "5";
        startInfo.Environment["Plain__Name"] = "kept";

        using var supervisor = Process.Start(startInfo)!;
        var output = await supervisor.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await OwnerBoundProcess.StopAsync(supervisor, TimeSpan.FromSeconds(10));

        Assert.Equal(0, supervisor.ExitCode);
        var lines = output.Split('\n');
        Assert.Contains("Messaging__Consumer__fetch.wait.max.ms=5", lines);
        Assert.Contains("Plain__Name=kept", lines);
    }
}
