// Stands in for Grpc.Core.Api's Method<TRequest,TResponse>, Marshaller<T>, MethodType and CallOptions
// (Grpc.Core.Api is not available here); same public names, our namespace, built from protobuf descriptors.
using System.Buffers;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Checkout.ServiceDefaults.Grpc;

public enum MethodType
{
    Unary,
    ClientStreaming,
    ServerStreaming,
    DuplexStreaming,
}

/// <summary>Turns messages into bytes and back, writing straight into the transport's buffers.</summary>
public sealed class Marshaller<T>(
    Func<T, int> calculateSize,
    Action<T, IBufferWriter<byte>> serializer,
    Func<ReadOnlySequence<byte>, T> deserializer)
{
    public Func<T, int> CalculateSize { get; } = calculateSize;

    public Action<T, IBufferWriter<byte>> Serializer { get; } = serializer;

    public Func<ReadOnlySequence<byte>, T> Deserializer { get; } = deserializer;
}

public static class Marshallers
{
    /// <summary>The protobuf marshaller of a generated message type (one instance per type).</summary>
    public static Marshaller<T> Protobuf<T>() where T : class, IMessage<T>, new() => ProtobufMarshaller<T>.Instance;

    private static class ProtobufMarshaller<T> where T : class, IMessage<T>, new()
    {
        // The generated parser: its factory is a plain constructor call, where new T() would go through Activator.
        private static readonly MessageParser<T> Parser =
            typeof(T).GetProperty("Parser", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)?.GetValue(null) as MessageParser<T>
            ?? new MessageParser<T>(() => new T());

        public static readonly Marshaller<T> Instance = new(
            static message => message.CalculateSize(),
            static (message, output) => message.WriteTo(output),
            static data => Parser.ParseFrom(data));
    }
}

/// <summary>One method of a service: its kind, its path on the wire and how its messages are (de)serialized.</summary>
public sealed class Method<TRequest, TResponse>
{
    public Method(MethodType type, string serviceName, string name, Marshaller<TRequest> requestMarshaller, Marshaller<TResponse> responseMarshaller)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        ArgumentException.ThrowIfNullOrEmpty(name);
        Type = type;
        ServiceName = serviceName;
        Name = name;
        FullName = "/" + serviceName + "/" + name;
        RequestUri = new Uri(serviceName + "/" + name, UriKind.Relative);
        RequestMarshaller = requestMarshaller;
        ResponseMarshaller = responseMarshaller;
    }

    public MethodType Type { get; }

    /// <summary>The fully qualified service name, for example "checkout.inventory.v1.Inventory".</summary>
    public string ServiceName { get; }

    public string Name { get; }

    /// <summary>The HTTP/2 path, "/{package}.{Service}/{Method}".</summary>
    public string FullName { get; }

    /// <summary>FullName relative to the client's BaseAddress (which may carry a path prefix), built once.</summary>
    internal Uri RequestUri { get; }

    public Marshaller<TRequest> RequestMarshaller { get; }

    public Marshaller<TResponse> ResponseMarshaller { get; }
}

/// <summary>Builds <see cref="Method{TRequest,TResponse}"/> from the proto service definitions.</summary>
public static class Method
{
    /// <summary>
    /// The method a proto <c>rpc</c> declares, checked against the CLR message types, so that a mismatch fails at
    /// start-up rather than on the first call.
    /// </summary>
    public static Method<TRequest, TResponse> FromDescriptor<TRequest, TResponse>(MethodDescriptor descriptor)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var rpc = $"rpc {descriptor.Service.FullName}.{descriptor.Name}";
        if (descriptor.InputType.ClrType != typeof(TRequest))
            throw new InvalidOperationException($"{rpc} takes {descriptor.InputType.FullName} ({descriptor.InputType.ClrType}), not {typeof(TRequest)}.");
        if (descriptor.OutputType.ClrType != typeof(TResponse))
            throw new InvalidOperationException($"{rpc} returns {descriptor.OutputType.FullName} ({descriptor.OutputType.ClrType}), not {typeof(TResponse)}.");
        var type = (descriptor.IsClientStreaming, descriptor.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (true, false) => MethodType.ClientStreaming,
            (false, true) => MethodType.ServerStreaming,
            (true, true) => MethodType.DuplexStreaming,
        };
        return new Method<TRequest, TResponse>(type, descriptor.Service.FullName, descriptor.Name,
            Marshallers.Protobuf<TRequest>(), Marshallers.Protobuf<TResponse>());
    }
}

/// <summary>Per-call client options: request metadata, deadline (UTC) and cancellation.</summary>
public readonly struct CallOptions(Metadata? headers = null, DateTime? deadline = null, CancellationToken cancellationToken = default)
{
    public Metadata? Headers { get; } = headers;

    /// <summary>When the call must be finished, in UTC; it bounds every attempt, retries included.</summary>
    public DateTime? Deadline { get; } = deadline;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public CallOptions WithHeaders(Metadata headers) => new(headers, Deadline, CancellationToken);

    public CallOptions WithDeadline(DateTime deadline) => new(Headers, deadline, CancellationToken);

    public CallOptions WithCancellationToken(CancellationToken cancellationToken) => new(Headers, Deadline, cancellationToken);
}

public static class FileDescriptorExtensions
{
    /// <summary>
    /// The service a .proto file declares, by full name ("package.Service") or short name. (FindTypeByName does not
    /// find services: the descriptor pool indexes messages and enums only.)
    /// </summary>
    public static ServiceDescriptor FindService(this FileDescriptor file, string name)
    {
        foreach (var service in file.Services)
        {
            if (service.FullName == name || service.Name == name) return service;
        }
        throw new InvalidOperationException($"{file.Name} declares no service '{name}'.");
    }
}
