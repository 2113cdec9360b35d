using Google.Protobuf.Reflection;
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
    /// The event types the handler acts on, or null for every type of its topics. Messages of the other types are
    /// passed over without a transaction or an inbox row (there is no effect to make idempotent): a topic carries
    /// every event of its aggregate, and a consumer that needs a few of them should not pay a commit for each of the rest.
    /// </summary>
    static virtual IReadOnlyList<MessageDescriptor>? HandledTypes => null;

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
    /// the messages published and the COMMIT, in one round trip: rows locked by these statements are held for that
    /// round trip only. The default adds nothing.
    /// </summary>
    Task CompleteAsync(NpgsqlBatch writes, CancellationToken cancellationToken) => Task.CompletedTask;
}
