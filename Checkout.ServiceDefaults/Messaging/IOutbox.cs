using Google.Protobuf;
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

    /// <summary>
    /// Commits <paramref name="transaction"/>, in which events were written, and has them published at once. Events
    /// of a transaction committed any other way wait for the dispatcher's next poll (Messaging:Outbox:PollInterval).
    /// A message handler's transaction is committed by the consumer, which does this itself.
    /// </summary>
    Task CommitAsync(NpgsqlTransaction transaction, CancellationToken cancellationToken = default);
}
