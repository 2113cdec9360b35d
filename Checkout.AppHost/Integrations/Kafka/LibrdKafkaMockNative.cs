using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Checkout.AppHost.Integrations.Kafka;

/// <summary>
/// The part of librdkafka's C API (rdkafka.h, rdkafka_mock.h) that <see cref="EmbeddedKafka"/> needs: a client
/// handle to own the mock cluster, and the mock cluster's control functions.
/// </summary>
internal static partial class LibrdKafkaMockNative
{
    private const string Library = LibrdKafkaLibrary.Name;

    // rd_kafka_type_t
    internal const int ProducerType = 0;

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_new")]
    internal static partial nint ConfNew();

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int ConfSet(nint conf, string name, string value, byte* errstr, nuint errstrSize);

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_destroy")]
    internal static partial void ConfDestroy(nint conf);

    /// <summary>On success librdkafka takes ownership of <paramref name="conf"/>; on failure the caller still owns it.</summary>
    [LibraryImport(Library, EntryPoint = "rd_kafka_new")]
    internal static unsafe partial KafkaClientHandle New(int type, nint conf, byte* errstr, nuint errstrSize);

    [LibraryImport(Library, EntryPoint = "rd_kafka_destroy")]
    internal static partial void Destroy(nint rk);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_new")]
    internal static partial nint MockClusterNew(KafkaClientHandle rk, int brokerCount);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_destroy")]
    internal static partial void MockClusterDestroy(nint mcluster);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_bootstraps")]
    internal static partial nint MockClusterBootstraps(MockClusterHandle mcluster);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_topic_create", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MockTopicCreate(MockClusterHandle mcluster, string topic, int partitionCount, int replicationFactor);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_group_initial_rebalance_delay_ms")]
    internal static partial void MockGroupInitialRebalanceDelayMs(MockClusterHandle mcluster, int delayMs);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_broker_set_down")]
    internal static partial int MockBrokerSetDown(MockClusterHandle mcluster, int brokerId);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_broker_set_up")]
    internal static partial int MockBrokerSetUp(MockClusterHandle mcluster, int brokerId);

    // The array form of the variadic rd_kafka_mock_push_request_errors (exported since librdkafka 1.7).
    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_push_request_errors_array")]
    internal static partial void MockPushRequestErrorsArray(MockClusterHandle mcluster, short apiKey, nuint count, int[] errors);

    [LibraryImport(Library, EntryPoint = "rd_kafka_err2str")]
    internal static partial nint ErrorToString(int error);

    internal static string DescribeError(int error) => Marshal.PtrToStringUTF8(ErrorToString(error)) ?? $"error {error}";
}

/// <summary>An rd_kafka_t client handle, destroyed with rd_kafka_destroy.</summary>
internal sealed class KafkaClientHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
{
    protected override bool ReleaseHandle()
    {
        LibrdKafkaMockNative.Destroy(handle);
        return true;
    }
}

/// <summary>
/// An rd_kafka_mock_cluster_t. It keeps its owning client handle alive, so the cluster is always destroyed before
/// the client it was created from, whatever order the finalizer or Dispose calls come in.
/// </summary>
internal sealed class MockClusterHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private readonly KafkaClientHandle _client;

    private MockClusterHandle(KafkaClientHandle client) : base(ownsHandle: true) => _client = client;

    internal static MockClusterHandle Create(KafkaClientHandle client, int brokerCount)
    {
        var cluster = new MockClusterHandle(client);
        var addedRef = false;
        client.DangerousAddRef(ref addedRef);
        cluster.SetHandle(LibrdKafkaMockNative.MockClusterNew(client, brokerCount));
        if (cluster.IsInvalid)
        {
            client.DangerousRelease();
            cluster.SetHandleAsInvalid();
        }

        return cluster;
    }

    protected override bool ReleaseHandle()
    {
        LibrdKafkaMockNative.MockClusterDestroy(handle);
        _client.DangerousRelease();
        return true;
    }
}
