namespace Checkout.Testing.AppHost;

/// <summary>
/// A PostgreSQL data folder for one run, under the system's temporary folder (which the unprivileged server user can
/// reach), removed with everything in it at the end.
/// </summary>
public sealed class TemporaryDataFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"checkout-test-pg-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}
