using Checkout.Contracts.Messaging.V1;
using Google.Protobuf;

namespace Checkout.ServiceDefaults.Messaging;

/// <summary>An event received from Kafka: its envelope and where it was read from.</summary>
public sealed class ConsumedMessage
{
    private readonly Envelope _envelope;
    private IMessage? _payload;

    internal ConsumedMessage(Envelope envelope, Guid messageId, string topic, int partition, long offset, string key)
    {
        _envelope = envelope;
        MessageId = messageId;
        Topic = topic;
        Partition = partition;
        Offset = offset;
        Key = key;
    }

    public Guid MessageId { get; }
    /// <summary>Full protobuf name of the payload, for example "checkout.orders.v1.OrderPlaced".</summary>
    public string Type => _envelope.Type;
    public string Source => _envelope.Source;
    public DateTimeOffset Time => _envelope.Time?.ToDateTimeOffset() ?? default;
    public string CorrelationId => _envelope.CorrelationId;
    public int SchemaVersion => _envelope.SchemaVersion;
    public string Topic { get; }
    public int Partition { get; }
    public long Offset { get; }
    /// <summary>The Kafka message key: the aggregate id.</summary>
    public string Key { get; }

    /// <summary>
    /// Which attempt at handling the message this is in this process (1 for the first). A handler that decides on
    /// data it read without locks can lock it on a later attempt, once a concurrent change made the first one fail.
    /// </summary>
    public int Attempt { get; internal set; } = 1;

    /// <summary>Whether the payload is a <typeparamref name="T"/>.</summary>
    public bool Is<T>() where T : IMessage<T>, new() => _envelope.Type == PayloadType<T>.Name;

    /// <summary>The payload as <typeparamref name="T"/>; a payload of another type or one that cannot be parsed is a poison message.</summary>
    /// <remarks>Parsed once: a handler's PrepareAsync and HandleAsync both read it.</remarks>
    public T Payload<T>() where T : IMessage<T>, new()
    {
        if (!Is<T>())
            throw new PoisonMessageException($"Message {MessageId} is a {_envelope.Type}, not a {PayloadType<T>.Name}.");
        if (_payload is T parsed)
            return parsed;
        try
        {
            parsed = PayloadType<T>.Parser.ParseFrom(_envelope.Payload);
            _payload = parsed;
            return parsed;
        }
        catch (InvalidProtocolBufferException exception)
        {
            throw new PoisonMessageException($"The payload of message {MessageId} is not a valid {PayloadType<T>.Name}.", exception);
        }
    }

    private static class PayloadType<T> where T : IMessage<T>, new()
    {
        public static readonly MessageParser<T> Parser = new(() => new T());
        public static readonly string Name = new T().Descriptor.FullName;
    }
}
