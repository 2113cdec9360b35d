using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

// The infrastructure tests call Load with a missing library name to check the error a machine without librdkafka1 gives.
[assembly: InternalsVisibleTo("Checkout.Infrastructure.Tests")]

namespace Checkout.ServiceDefaults.Kafka;

/// <summary>
/// Loads the native librdkafka that Confluent.Kafka binds to. The machine's librdkafka comes from Debian's
/// librdkafka1 package (librdkafka.redist is not used), so Confluent.Kafka cannot find it on its own: every
/// process calls <see cref="EnsureLoaded()"/> once before it creates a producer, consumer or admin client.
/// </summary>
public static class LibrdKafka
{
    /// <summary>The soname Debian's librdkafka1 package installs.</summary>
    public const string LibraryName = "librdkafka.so.1";

    private static readonly Lock Gate = new();
    private static volatile bool s_loaded;

    /// <summary>
    /// Loads librdkafka.so.1 into Confluent.Kafka, once per process and thread-safe.
    /// Throws <see cref="LibrdKafkaNotFoundException"/> with the fix when the library is not installed.
    /// </summary>
    public static void EnsureLoaded()
    {
        if (s_loaded)
        {
            return;
        }

        lock (Gate)
        {
            if (!s_loaded)
            {
                Load(LibraryName);
                s_loaded = true;
            }
        }
    }

    /// <summary>Loads <paramref name="libraryName"/>; separate from the once-only gate so tests can ask for a missing name.</summary>
    internal static void Load(string libraryName)
    {
        // Probe through the runtime's loader first: Confluent.Kafka's own failure is a bare DllNotFoundException
        // that does not say which package provides the library.
        if (!NativeLibrary.TryLoad(libraryName, out var librdkafka))
        {
            throw new LibrdKafkaNotFoundException(libraryName);
        }

        // Confluent.Kafka 1.9 imports the unversioned names "libdl" and "librdkafka", which only development packages
        // provide as symbolic links (libc6-dev, librdkafka-dev); a runtime-only machine has libdl.so.2 and
        // librdkafka.so.1. Map both for that assembly; every other name takes the default search.
        NativeLibrary.SetDllImportResolver(typeof(Confluent.Kafka.Library).Assembly, (name, _, _) => name switch
        {
            "libdl" => NativeLibrary.Load("libdl.so.2"),
            "librdkafka" => librdkafka,
            _ => IntPtr.Zero,
        });
        Confluent.Kafka.Library.Load(libraryName);
    }
}

/// <summary>The native librdkafka library is not installed on this machine.</summary>
public sealed class LibrdKafkaNotFoundException(string libraryName)
    : InvalidOperationException(
        $"librdkafka1 not found; run eng/setup.sh (apt-get install librdkafka1). The native loader could not load '{libraryName}'.")
{
    /// <summary>The library name the loader was asked for.</summary>
    public string LibraryName { get; } = libraryName;
}
