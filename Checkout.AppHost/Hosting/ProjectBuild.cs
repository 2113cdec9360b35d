using System.Diagnostics;
using System.Text.Json;
using Checkout.AppHost.Infrastructure;

namespace Checkout.AppHost.Hosting;

/// <summary>
/// Builds the application's projects once, before they start, in one MSBuild run (a solution filter over
/// Checkout.sln: shared dependencies are built once and projects in parallel; a warm build takes about 2 s).
/// </summary>
internal static class ProjectBuild
{
    private const int ErrorLinesShown = 10;

    /// <summary>Builds <paramref name="projects"/> in <paramref name="configuration"/>; throws a <see cref="HostingException"/> naming the project that failed.</summary>
    public static async Task RunAsync(IReadOnlyList<ProjectResource> projects, string repositoryRoot, string scratchDirectory, string configuration, CancellationToken cancellationToken)
    {
        if (projects.Count == 0)
        {
            return;
        }

        var solution = Path.Combine(repositoryRoot, "Checkout.sln");
        // The filter lives in the host's obj folder, not a temporary one, and is deleted after the build; its name is per
        // process so that two hosts building at once do not share it.
        var filter = Path.Combine(scratchDirectory, $"apphost-build-{Environment.ProcessId}.slnf");
        Directory.CreateDirectory(Path.GetDirectoryName(filter)!);
        await File.WriteAllTextAsync(filter, JsonSerializer.Serialize(new
        {
            solution = new
            {
                path = solution,
                projects = projects.Select(project => Path.GetRelativePath(repositoryRoot, project.ProjectPath)).ToArray(),
            },
        }), cancellationToken);
        try
        {
            var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
            var startInfo = new ProcessStartInfo(dotnet) { WorkingDirectory = repositoryRoot };
            foreach (var argument in (string[])["build", filter, "--configuration", configuration, "--nologo", "--verbosity", "quiet", "-clp:NoSummary"])
            {
                startInfo.ArgumentList.Add(argument);
            }

            // The host may itself run under 'dotnet run' or a test host: their MSBuild settings must not leak into this build.
            foreach (var variable in (string[])["MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly"])
            {
                startInfo.Environment.Remove(variable);
            }

            ChildProcess.Result result;
            try
            {
                result = await ChildProcess.RunAsync(startInfo, cancellationToken);
            }
            catch (System.ComponentModel.Win32Exception exception)
            {
                throw new HostingException($"Could not run '{dotnet} build' to build the projects ({exception.Message}); install the .NET SDK, or start with --no-build.");
            }

            if (result.ExitCode != 0)
            {
                throw Failure(projects, result, configuration);
            }
        }
        finally
        {
            File.Delete(filter);
        }
    }

    private static HostingException Failure(IReadOnlyList<ProjectResource> projects, ChildProcess.Result result, string configuration)
    {
        var errors = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.Contains(": error ", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        // MSBuild ends every error line with the project being built: [/path/Checkout.Orders.csproj].
        var failed = projects.Where(project => errors.Any(line => line.EndsWith($"[{project.ProjectPath}]", StringComparison.Ordinal))).ToList();
        var what = failed.Count > 0
            ? $"The project{(failed.Count > 1 ? "s" : "")} {string.Join(", ", failed.Select(project => $"'{project.Name}' ({project.ProjectPath})"))} failed to build"
            : $"The build of the projects failed (exit code {result.ExitCode})";
        var shown = errors.Count > 0 ? string.Join(Environment.NewLine, errors.Take(ErrorLinesShown)) : result.Tail();
        var target = failed.Count == 1 ? failed[0].ProjectPath : "the solution";
        return new HostingException(
            $"{what}:{Environment.NewLine}{shown}{Environment.NewLine}" +
            $"Fix the error (see 'dotnet build {target} -c {configuration}' for the whole output), then start again.");
    }
}
