using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Checkout.AppHost.Integrations.Kafka;

/// <summary>
/// The native librdkafka that Confluent.Kafka loaded from librdkafka.redist (on Debian, the package's
/// centos8-librdkafka.so: its default build needs libsasl2.so.3, which Debian lacks). The mock cluster must be driven
/// through that same library, so that it is the one in the client handles; this resolves the P/Invoke name
/// <see cref="Name"/> of this assembly to it.
/// </summary>
internal static class LibrdKafkaLibrary
{
    /// <summary>The library name <see cref="LibrdKafkaMockNative"/> imports; resolved at first call.</summary>
    public const string Name = "librdkafka";

    private static readonly Lazy<nint> Handle = new(Load);

    /// <summary>Installs the resolver; idempotent, and safe from many threads.</summary>
    public static void EnsureResolver() => _ = Resolver.Value;

    private static readonly Lazy<bool> Resolver = new(() =>
    {
        NativeLibrary.SetDllImportResolver(typeof(LibrdKafkaLibrary).Assembly, Resolve);
        return true;
    });

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == Name ? Handle.Value : 0;

    private static nint Load()
    {
        // Reading the version makes Confluent.Kafka load its native library (once per process).
        var version = Confluent.Kafka.Library.VersionString;
        using var process = Process.GetCurrentProcess();
        var path = process.Modules.Cast<ProcessModule>()
            .Select(module => module.FileName)
            .FirstOrDefault(file => Path.GetFileName(file).Contains("rdkafka", StringComparison.Ordinal))
            ?? throw new EmbeddedInfrastructureException(
                $"Confluent.Kafka reports librdkafka {version}, but no librdkafka library is loaded in this process.");
        return NativeLibrary.Load(path);
    }
}
