namespace Checkout.Infrastructure.Tests;

/// <summary>
/// A path under the system's temporary folder (which the unprivileged server user can reach), for a test's own use;
/// deleted with what it holds on dispose, whatever the test did to it.
/// </summary>
internal sealed class TemporaryFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"checkout-infra-test-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (!Directory.Exists(Path))
            return;
        // A test may have taken its own rights away (a folder the server may not use): give them back first.
        if (OperatingSystem.IsLinux())
        {
            foreach (var folder in Directory.EnumerateDirectories(Path, "*", SearchOption.AllDirectories).Prepend(Path))
                File.SetUnixFileMode(folder, File.GetUnixFileMode(folder) | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Directory.Delete(Path, recursive: true);
    }
}
