using Checkout.Contracts.Messaging.V1;
using Google.Protobuf;
using Npgsql;

namespace Checkout.ServiceDefaults.Messaging;

/// <summary>
/// Handles the messages of the topics it is registered for (AddConsumer&lt;THandler&gt;). Its effects are written on
/// <c>transaction</c>, which also holds the message's inbox row and is committed by the consumer after the handler
/// returns: a message's effects happen once even when it is delivered again. Resolved from a DI scope per batch.
/// Throw to retry (with backoff, then dead-letter); throw <see cref="PoisonMessageException"/> to dead-letter at once.
/// Messages of types the handler does not know should be ignored (new event types are an additive change).
/// </summary>
public interface IMessageHandler
{
    /// <summary>
    /// Called once per transaction, before the first <see cref="HandleAsync"/>, with every message the transaction is
    /// about to handle (in partition order; redeliveries the inbox already holds are left out). Take the locks the
    /// batch needs here, all at once and in one fixed order, so that transactions handling batches in parallel cannot
    /// deadlock. The default does nothing.
    /// </summary>
    Task PrepareAsync(IReadOnlyList<ConsumedMessage> messages, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    Task HandleAsync(ConsumedMessage message, NpgsqlTransaction transaction, CancellationToken cancellationToken);

    /// <summary>
    /// Called once per transaction, after the last <see cref="HandleAsync"/>: a handler that decided the batch's
    /// messages in memory adds the statements that store the result to <paramref name="writes"/> (a batch on the
    /// consumer's connection and transaction). The consumer sends them, together with the outbox's insert of the events
    /// the messages published, in one round trip just before it commits: rows locked in <see cref="PrepareAsync"/> stay
    /// locked for that round trip and the commit only. The default adds nothing.
    /// </summary>
    Task CompleteAsync(NpgsqlBatch writes, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>A message that can never be handled (malformed, unexpected): it goes to the dead-letter topic without retries.</summary>
public sealed class PoisonMessageException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>An event received from Kafka: its envelope and where it was read from.</summary>
public sealed class ConsumedMessage
{
    private readonly Envelope envelope;
    private IMessage? payload;

    internal ConsumedMessage(Envelope envelope, Guid messageId, string topic, int partition, long offset, string key)
    {
        this.envelope = envelope;
        MessageId = messageId;
        Topic = topic;
        Partition = partition;
        Offset = offset;
        Key = key;
    }

    public Guid MessageId { get; }
    /// <summary>Full protobuf name of the payload, for example "checkout.orders.v1.OrderPlaced".</summary>
    public string Type => envelope.Type;
    public string Source => envelope.Source;
    public DateTimeOffset Time => envelope.Time?.ToDateTimeOffset() ?? default;
    public string CorrelationId => envelope.CorrelationId;
    public int SchemaVersion => envelope.SchemaVersion;
    public string Topic { get; }
    public int Partition { get; }
    public long Offset { get; }
    /// <summary>The Kafka message key: the aggregate id.</summary>
    public string Key { get; }

    /// <summary>Whether the payload is a <typeparamref name="T"/>.</summary>
    public bool Is<T>() where T : IMessage<T>, new() => envelope.Type == PayloadType<T>.Name;

    /// <summary>The payload as <typeparamref name="T"/>; a payload of another type or one that cannot be parsed is a poison message.</summary>
    /// <remarks>Parsed once: a handler's PrepareAsync and HandleAsync both read it.</remarks>
    public T Payload<T>() where T : IMessage<T>, new()
    {
        if (!Is<T>())
            throw new PoisonMessageException($"Message {MessageId} is a {envelope.Type}, not a {PayloadType<T>.Name}.");
        if (payload is T parsed)
            return parsed;
        try
        {
            parsed = PayloadType<T>.Parser.ParseFrom(envelope.Payload);
            payload = parsed;
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
