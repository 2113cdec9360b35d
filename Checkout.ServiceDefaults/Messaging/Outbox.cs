using System.Diagnostics;
using System.Runtime.CompilerServices;
using Checkout.Contracts.Messaging.V1;
using Dapper;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Checkout.ServiceDefaults.Messaging;

/// <remarks>
/// In a consumer's inbox transaction the events are buffered and written at once, in one statement sent with the
/// handler's own writes and the consumer's COMMIT (<see cref="AddBufferedEvents"/>): a batch of handled
/// messages costs no outbox round trip of its own. In any other transaction (an API call's, a background job's) the
/// event is written at once, since the caller may commit without the outbox's knowledge.
/// </remarks>
internal sealed class Outbox(IOptions<MessagingOptions> options, TimeProvider timeProvider, OutboxSignal signal) : IOutbox
{
    /// <summary>Version of the envelope layout (see envelope.proto: additive changes keep it).</summary>
    public const int EnvelopeSchemaVersion = 1;

    private readonly string _source = options.Value.ServiceName!;
    private readonly ConditionalWeakTable<NpgsqlTransaction, List<PendingEvent>> _buffered = new();

    private sealed record PendingEvent(Guid MessageId, string Topic, string Key, byte[] Envelope, string? TraceParent, string? TraceState);

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
            Source = _source,
            Time = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow()),
            CorrelationId = correlationId ?? key,
            SchemaVersion = EnvelopeSchemaVersion,
            Payload = @event.ToByteString(),
        };
        var activity = Activity.Current;
        var traceParent = activity?.IdFormat == ActivityIdFormat.W3C ? activity.Id : null;
        var pending = new PendingEvent(messageId, topic, key, envelope.ToByteArray(), traceParent, traceParent is null ? null : activity!.TraceStateString);
        if (_buffered.TryGetValue(transaction, out var events))
        {
            events.Add(pending);
            return messageId;
        }

        await transaction.Connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO messaging.outbox (message_id, topic, message_key, envelope, traceparent, tracestate)
            VALUES (@MessageId, @Topic, @Key, @Envelope, @TraceParent, @TraceState)
            """,
            pending, transaction, cancellationToken: cancellationToken));
        return messageId;
    }

    public async Task CommitAsync(NpgsqlTransaction transaction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        await transaction.CommitAsync(cancellationToken);
        signal.Wake();
    }

    /// <summary>Wakes the dispatcher after a transaction holding events was committed by a COMMIT of the caller's own.</summary>
    public void Committed() => signal.Wake();

    /// <summary>
    /// From now on until the returned scope is disposed, events written in <paramref name="transaction"/> wait for
    /// <see cref="AddBufferedEvents"/>. Dispose it however the transaction ends: Npgsql gives a pooled connection's next
    /// transaction the same NpgsqlTransaction object, so a buffer left behind by a failed transaction would swallow
    /// the events of whatever transaction (an API call's) runs next on that connection.
    /// </summary>
    public BufferScope Buffer(NpgsqlTransaction transaction)
    {
        _buffered.AddOrUpdate(transaction, []);
        return new BufferScope(this, transaction);
    }

    public readonly struct BufferScope(Outbox outbox, NpgsqlTransaction transaction) : IDisposable
    {
        public void Dispose() => outbox._buffered.Remove(transaction);
    }

    /// <summary>
    /// Adds to <paramref name="batch"/> the insert of the events buffered for <paramref name="transaction"/>, one
    /// statement in the order they were written, and stops buffering; returns how many. When there were any, commit
    /// with <see cref="CommitAsync"/>, or call <see cref="Committed"/> after the commit, so that they are published at once.
    /// </summary>
    public int AddBufferedEvents(NpgsqlTransaction transaction, NpgsqlBatch batch)
    {
        if (!_buffered.TryGetValue(transaction, out var events))
            return 0;
        _buffered.Remove(transaction);
        if (events.Count == 0)
            return 0;
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            """
            INSERT INTO messaging.outbox (message_id, topic, message_key, envelope, traceparent, tracestate)
            SELECT e.message_id, e.topic, e.message_key, e.envelope, e.traceparent, e.tracestate
            FROM unnest(@ids, @topics, @keys, @envelopes, @traceParents, @traceStates) WITH ORDINALITY AS e (message_id, topic, message_key, envelope, traceparent, tracestate, n)
            ORDER BY e.n
            """)
        {
            Parameters =
            {
                new NpgsqlParameter<Guid[]>("ids", [.. events.Select(e => e.MessageId)]),
                new NpgsqlParameter<string[]>("topics", [.. events.Select(e => e.Topic)]),
                new NpgsqlParameter<string[]>("keys", [.. events.Select(e => e.Key)]),
                new NpgsqlParameter<byte[][]>("envelopes", [.. events.Select(e => e.Envelope)]),
                new NpgsqlParameter<string?[]>("traceParents", [.. events.Select(e => e.TraceParent)]),
                new NpgsqlParameter<string?[]>("traceStates", [.. events.Select(e => e.TraceState)]),
            },
        });
        return events.Count;
    }
}
