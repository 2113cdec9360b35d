using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Checkout.Contracts;
using Checkout.Contracts.Messaging.V1;
using Checkout.ServiceDefaults.Postgres;
using Confluent.Kafka;
using Dapper;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Checkout.ServiceDefaults.Messaging;

/// <summary>
/// Handles a partition's messages exactly once in effect: each message's handler runs in one database transaction
/// with the message's inbox row, so a redelivered message finds its row and is skipped. A batch of messages shares
/// one transaction and one inbox insert (throughput); if the batch fails, its messages are handled one at a time
/// with retries (exponential backoff and jitter, in place, keeping the partition's order), and a message that still
/// fails, or cannot be parsed, goes to &lt;topic&gt;.dlq and the partition moves on. Messages of types the handler does
/// not act on are passed over without a transaction.
/// </summary>
internal sealed partial class InboxProcessor(
    ConsumerRegistration registration,
    string group,
    NpgsqlDataSource dataSource,
    KafkaProducer producer,
    Outbox? outbox,
    IServiceScopeFactory scopes,
    MessagingTelemetry telemetry,
    ConsumerOptions settings,
    ILogger logger)
{
    private readonly record struct Incoming(ConsumeResult<string, byte[]> Result, ConsumedMessage Message);

    public async Task ProcessAsync(List<ConsumeResult<string, byte[]>> batch, PartitionLane lane)
    {
        var run = new List<Incoming>(batch.Count);
        foreach (var result in batch)
        {
            if (TryParse(result, out var message, out var error))
            {
                if (registration.Handles(message.Type))
                    run.Add(new Incoming(result, message));
                else
                    telemetry.Consumed(result.Topic, group);
                continue;
            }
            await HandleRunAsync(run, lane);
            run.Clear();
            lane.StopToken.ThrowIfCancellationRequested();
            await DeadLetterAsync(result, attempts: 1, error, lane);
            lane.Finished(result.Offset.Value);
        }
        await HandleRunAsync(run, lane);
        // A batch's last messages may be of types the handler passes over: they are finished with it.
        lane.Finished(batch[^1].Offset.Value);
    }

    private async Task HandleRunAsync(List<Incoming> run, PartitionLane lane)
    {
        if (run.Count == 0)
            return;
        var (failedAt, batchFailure) = (-1, default(Exception));
        if (run.Count > 1)
        {
            var progress = new StrongBox<int>(-1);
            try
            {
                await HandleInOneTransactionAsync(run, progress, lane.AbandonToken);
                lane.Finished(run[^1].Result.Offset.Value);
                return;
            }
            catch (Exception exception) when (!lane.AbandonToken.IsCancellationRequested)
            {
                (failedAt, batchFailure) = (progress.Value, exception);
                LogBatchFailed(logger, exception, run.Count, run[0].Result.TopicPartition);
            }
        }
        for (var i = 0; i < run.Count; i++)
        {
            lane.StopToken.ThrowIfCancellationRequested();
            // The message whose handler broke the batch has used its first attempt there.
            await HandleWithRetriesAsync(run[i], i == failedAt ? batchFailure : null, triedInBatch: run.Count > 1, lane);
            lane.Finished(run[i].Result.Offset.Value);
        }
    }

    private async Task HandleWithRetriesAsync(Incoming incoming, Exception? earlierFailure, bool triedInBatch, PartitionLane lane)
    {
        var failure = earlierFailure;
        var attempt = failure is null ? 0 : 1;
        // Every try counts for the handler's ConsumedMessage.Attempt, the failed batch's too; the attempts that lead to
        // the dead-letter topic count only the tries the message itself may have caused.
        var tries = triedInBatch ? 1 : 0;
        var outage = 0;
        while (true)
        {
            if (failure is not null && IsDatabaseUnavailable(failure))
            {
                // Not the message's fault: wait for the database without using up the message's attempts.
                attempt--;
                telemetry.Retried(incoming.Result.Topic, group);
                LogDatabaseUnavailable(logger, failure, incoming.Message.MessageId);
                await Task.Delay(Backoff.Delay(++outage, settings.RetryMinDelay, settings.RetryMaxDelay), lane.StopToken);
            }
            else if (failure is not null)
            {
                if (failure is PoisonMessageException or InvalidProtocolBufferException || attempt >= settings.MaxAttempts)
                {
                    await DeadLetterAsync(incoming.Result, attempt, Describe(failure), lane);
                    return;
                }
                telemetry.Retried(incoming.Result.Topic, group);
                LogRetry(logger, failure, incoming.Message.MessageId, incoming.Message.Type, attempt, settings.MaxAttempts);
                await Task.Delay(Backoff.Delay(attempt, settings.RetryMinDelay, settings.RetryMaxDelay), lane.StopToken);
            }
            attempt++;
            incoming.Message.Attempt = ++tries;
            try
            {
                await HandleInOneTransactionAsync([incoming], progress: null, lane.AbandonToken);
                return;
            }
            catch (Exception exception) when (!lane.AbandonToken.IsCancellationRequested)
            {
                failure = exception;
            }
        }
    }

    // Not the message's fault: the database cannot be reached, or is going away (the same rule as a gRPC call's).
    private static bool IsDatabaseUnavailable(Exception exception) =>
        exception is DatabaseUnavailableException || DatabaseOutage.IsOutage(exception);

    private async Task<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await dataSource.OpenConnectionAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            throw new DatabaseUnavailableException(exception);
        }
    }

    private sealed class DatabaseUnavailableException(Exception innerException)
        : Exception("Could not open a connection to the service's database.", innerException);

    // progress, when given, receives the index of the message whose handler is running (to attribute a failure).
    private async Task HandleInOneTransactionAsync(IReadOnlyList<Incoming> messages, StrongBox<int>? progress, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var handler = (IMessageHandler)scope.ServiceProvider.GetRequiredService(registration.HandlerType);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The events the handlers publish are written together, just before the commit.
        using var buffering = outbox?.Buffer(transaction);

        // One insert for the whole batch; the rows it did not insert are messages already handled. A concurrent
        // transaction inserting the same id makes this one wait for its outcome, so no message is handled twice.
        var ids = new Guid[messages.Count];
        for (var i = 0; i < ids.Length; i++)
            ids[i] = messages[i].Message.MessageId;
        var fresh = (await connection.QueryAsync<Guid>(new CommandDefinition(
            "INSERT INTO messaging.inbox (message_id) SELECT unnest(@ids) ON CONFLICT DO NOTHING RETURNING message_id",
            new { ids }, transaction, cancellationToken: cancellationToken))).ToHashSet();

        // Handled before (a redelivery), or a duplicate earlier in this batch: skipped.
        var toHandle = new List<int>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
            if (fresh.Remove(messages[i].Message.MessageId))
                toHandle.Add(i);
        if (toHandle.Count > 0)
            await handler.PrepareAsync(toHandle.ConvertAll(i => messages[i].Message), transaction, cancellationToken);

        foreach (var i in toHandle)
        {
            var (result, message) = messages[i];
            progress?.Value = i;
            using var activity = MessagingTelemetry.StartProcess(result, group, message.MessageId.ToString());
            var started = Stopwatch.GetTimestamp();
            try
            {
                await handler.HandleAsync(message, transaction, cancellationToken);
            }
            catch (Exception exception)
            {
                activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
                activity?.SetTag("error.type", exception.GetType().FullName);
                throw;
            }
            telemetry.Processed(result.Topic, group, Stopwatch.GetElapsedTime(started));
        }
        progress?.Value = -1; // from here on a failure is the batch's or the commit's, not one handler's
        // The handler's writes, the outbox's insert and the COMMIT go in one round trip: rows the handler locked are
        // held for that round trip only. A failing statement skips the rest, COMMIT included, and the transaction is
        // rolled back when disposed; after the COMMIT the connection is out of the transaction and disposing it sends nothing.
        await using var writes = new NpgsqlBatch(connection, transaction);
        if (toHandle.Count > 0)
            await handler.CompleteAsync(writes, cancellationToken);
        var published = outbox?.AddBufferedEvents(transaction, writes) ?? 0;
        writes.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        await writes.ExecuteNonQueryAsync(cancellationToken);
        if (published > 0)
            outbox!.Committed();
        foreach (var incoming in messages)
            telemetry.Consumed(incoming.Result.Topic, group);
    }

    private bool TryParse(ConsumeResult<string, byte[]> result, out ConsumedMessage message, out string error)
    {
        message = null!;
        if (result.Message.Value is not { Length: > 0 } value)
        {
            error = "The message has no value.";
            return false;
        }
        Envelope envelope;
        try
        {
            envelope = Envelope.Parser.ParseFrom(value);
        }
        catch (InvalidProtocolBufferException exception)
        {
            error = "The message is not a Checkout envelope: " + exception.Message;
            return false;
        }
        if (!Guid.TryParse(envelope.MessageId, out var messageId) || envelope.Type.Length == 0)
        {
            error = "The envelope has no valid message id or type.";
            return false;
        }
        message = new ConsumedMessage(envelope, messageId, result.Topic, result.Partition.Value, result.Offset.Value, result.Message.Key ?? "");
        error = "";
        return true;
    }

    private async Task DeadLetterAsync(ConsumeResult<string, byte[]> result, int attempts, string error, PartitionLane lane)
    {
        var headers = new Headers();
        foreach (var header in result.Message.Headers ?? [])
            headers.Add(header.Key, header.GetValueBytes());
        headers.Add(MessageHeaders.DeadLetterError, Encoding.UTF8.GetBytes(error));
        headers.Add(MessageHeaders.DeadLetterAttempts, Encoding.UTF8.GetBytes(attempts.ToString(CultureInfo.InvariantCulture)));
        headers.Add(MessageHeaders.DeadLetterTopic, Encoding.UTF8.GetBytes(result.Topic));
        headers.Add(MessageHeaders.DeadLetterPartition, Encoding.UTF8.GetBytes(result.Partition.Value.ToString(CultureInfo.InvariantCulture)));
        headers.Add(MessageHeaders.DeadLetterOffset, Encoding.UTF8.GetBytes(result.Offset.Value.ToString(CultureInfo.InvariantCulture)));
        var deadLetter = new Message<string, byte[]> { Key = result.Message.Key, Value = result.Message.Value, Headers = headers };
        var topic = Topics.DeadLetter(result.Topic);

        // The partition moves on only once the dead letter is safely stored: keep trying while the broker is away.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await producer.ProduceAsync(topic, deadLetter, lane.StopToken);
                break;
            }
            catch (Exception exception) when (!lane.StopToken.IsCancellationRequested)
            {
                LogDeadLetterFailed(logger, exception, topic);
            }
            await Task.Delay(Backoff.Delay(attempt, settings.RetryMinDelay, settings.RetryMaxDelay), lane.StopToken);
        }
        telemetry.DeadLettered(result.Topic, group);
        LogDeadLettered(logger, result.TopicPartitionOffset, topic, attempts, error);
    }

    // The error as a dead-letter header: type and message, never a stack trace.
    private static string Describe(Exception exception) => $"{exception.GetType().FullName}: {exception.Message}";

    [LoggerMessage(LogLevel.Warning, "Handling a batch of {Count} messages from {TopicPartition} failed; handling them one at a time")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count, TopicPartition topicPartition);

    [LoggerMessage(LogLevel.Warning, "Handling message {MessageId} ({MessageType}) failed on attempt {Attempt} of {MaxAttempts}; retrying after a backoff")]
    private static partial void LogRetry(ILogger logger, Exception exception, Guid messageId, string messageType, int attempt, int maxAttempts);

    [LoggerMessage(LogLevel.Warning, "The database is unavailable while handling message {MessageId}; waiting for it (attempts are not used up)")]
    private static partial void LogDatabaseUnavailable(ILogger logger, Exception exception, Guid messageId);

    [LoggerMessage(LogLevel.Warning, "Could not write a dead letter to {Topic}; retrying")]
    private static partial void LogDeadLetterFailed(ILogger logger, Exception exception, string topic);

    [LoggerMessage(LogLevel.Error, "Message {TopicPartitionOffset} sent to {DeadLetterTopic} after {Attempts} attempts: {Error}")]
    private static partial void LogDeadLettered(ILogger logger, TopicPartitionOffset topicPartitionOffset, string deadLetterTopic, int attempts, string error);
}
