using System.Diagnostics;
using Checkout.Contracts.Messaging.V1;
using Dapper;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Checkout.ServiceDefaults.Messaging;

/// <summary>
/// Writes events into the transactional outbox, inside the caller's own transaction: the event exists if and only
/// if the business change commits. The outbox dispatcher publishes it to Kafka afterwards.
/// </summary>
public interface IOutbox
{
    /// <summary>
    /// Adds <paramref name="event"/> to the outbox in <paramref name="transaction"/>. It is published to
    /// <paramref name="topic"/> keyed by <paramref name="key"/> (the aggregate id: all events of one key keep their
    /// order) after the transaction commits. The current trace context is stored so that the publish and the
    /// consumers join the business transaction's trace.
    /// </summary>
    /// <param name="correlationId">The saga's correlation id (the order id); defaults to <paramref name="key"/>.</param>
    /// <returns>The event's message id.</returns>
    Task<Guid> WriteAsync(NpgsqlTransaction transaction, string topic, string key, IMessage @event,
        string? correlationId = null, CancellationToken cancellationToken = default);
}

internal sealed class Outbox(IOptions<MessagingOptions> options, TimeProvider timeProvider) : IOutbox
{
    /// <summary>Version of the envelope layout (see envelope.proto: additive changes keep it).</summary>
    public const int EnvelopeSchemaVersion = 1;

    private readonly string source = options.Value.ServiceName!;

    public async Task<Guid> WriteAsync(NpgsqlTransaction transaction, string topic, string key, IMessage @event,
        string? correlationId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(@event);
        if (transaction.Connection is null)
            throw new InvalidOperationException("The transaction has already been committed or rolled back.");

        var messageId = Guid.CreateVersion7();
        var envelope = new Envelope
        {
            MessageId = messageId.ToString(),
            Type = @event.Descriptor.FullName,
            Source = source,
            Time = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow()),
            CorrelationId = correlationId ?? key,
            SchemaVersion = EnvelopeSchemaVersion,
            Payload = @event.ToByteString(),
        };
        var activity = Activity.Current;
        var traceParent = activity?.IdFormat == ActivityIdFormat.W3C ? activity.Id : null;
        // NOTIFY is delivered only when the transaction commits, and identical notifications of one transaction fold into one.
        await transaction.Connection.ExecuteAsync(new CommandDefinition(
            $"""
            INSERT INTO messaging.outbox (message_id, topic, message_key, envelope, traceparent, tracestate)
            VALUES (@messageId, @topic, @key, @envelope, @traceParent, @traceState);
            SELECT pg_notify('{OutboxDispatcher.NotifyChannel}', '');
            """,
            new { messageId, topic, key, envelope = envelope.ToByteArray(), traceParent, traceState = traceParent is null ? null : activity!.TraceStateString },
            transaction, cancellationToken: cancellationToken));
        return messageId;
    }
}
