using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Checkout.ServiceDefaults.Messaging;

/// <summary>
/// Publishes committed outbox rows to Kafka and marks them sent only after the broker acknowledged them.
/// Wakes at once when a writer in this process committed events (<see cref="OutboxSignal"/>), polls slowly as a
/// fallback, and retries with backoff while the broker is unreachable; a row is never dropped.
///
/// Per-key order with several instances: a round claims keys, not rows. It locks (FOR UPDATE SKIP LOCKED) only the
/// oldest unsent row of each key, and that row's key is eligible only while no older unsent row of the key exists;
/// it then publishes that key's unsent rows in order. While one dispatcher holds a key's head row no other can
/// claim any row of that key, and a key's later rows become eligible only after its earlier rows are marked sent.
/// Within a round, a key's rows are marked sent only up to its first failed publish.
/// </summary>
internal sealed partial class OutboxDispatcher(
    NpgsqlDataSource dataSource,
    KafkaProducer producer,
    OutboxSignal signal,
    MessagingTelemetry telemetry,
    IOptions<MessagingOptions> options,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private const string ClaimSql =
        """
        WITH heads AS (
            SELECT o.sequence, o.message_key
            FROM messaging.outbox o
            WHERE o.sent_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM messaging.outbox earlier
                              WHERE earlier.message_key = o.message_key AND earlier.sent_at IS NULL AND earlier.sequence < o.sequence)
            ORDER BY o.sequence
            LIMIT @limit
            FOR UPDATE OF o SKIP LOCKED)
        SELECT r.sequence AS Sequence, r.message_id AS MessageId, r.topic AS Topic, r.message_key AS MessageKey,
               r.envelope AS Envelope, r.traceparent AS TraceParent, r.tracestate AS TraceState
        FROM messaging.outbox r
        JOIN heads h ON h.message_key = r.message_key
        WHERE r.sent_at IS NULL AND r.sequence >= h.sequence
        ORDER BY r.sequence
        LIMIT @limit
        """;

    private readonly OutboxOptions _settings = options.Value.Outbox;

    private sealed record OutboxRow(long Sequence, Guid MessageId, string Topic, string MessageKey, byte[] Envelope, string? TraceParent, string? TraceState);

    // Full: the round claimed as many rows as it may, so more may be waiting (a backlog drains round after round).
    private readonly record struct Round(int Published, bool Failed, bool Full = false);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, _settings.Concurrency).Select(_ => DispatchLoopAsync(stoppingToken)));

    private async Task DispatchLoopAsync(CancellationToken stoppingToken)
    {
        var failedRounds = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            Round round;
            var mark = signal.RoundStarting();
            try
            {
                round = await DispatchRoundAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogRoundFailed(logger, exception);
                round = new Round(0, Failed: true);
            }

            try
            {
                if (round.Failed)
                {
                    await Task.Delay(Backoff.Delay(++failedRounds, _settings.RetryMinDelay, _settings.RetryMaxDelay), stoppingToken);
                    continue;
                }
                failedRounds = 0;
                // After a round that published, the next starts at once when the round was full (a backlog: after an
                // outage, or rows committed without a wake-up) or when events were committed during it (a key's next
                // event, committed while this round held its predecessor, was not eligible for any round, and its
                // wake-up may have been spent by another). Otherwise it waits for a wake-up (or the fallback poll).
                if (round.Published == 0 || !(round.Full || signal.WokenSince(mark)))
                    await signal.WaitAsync(_settings.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task<Round> DispatchRoundAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<OutboxRow>(new CommandDefinition(
            ClaimSql, new { limit = _settings.BatchSize }, transaction, cancellationToken: cancellationToken))).AsList();
        if (rows.Count == 0)
            return new Round(0, Failed: false);

        // Publish the whole round at once: the idempotent producer keeps each partition's order and batches the sends.
        var deliveries = new Task<DeliveryResult<string, byte[]>>[rows.Count];
        var activities = new Activity?[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            activities[i] = MessagingTelemetry.StartSend(row.Topic, row.MessageKey, row.MessageId.ToString(), row.TraceParent, row.TraceState);
            deliveries[i] = Produce(row, activities[i]);
        }
        try
        {
            await Task.WhenAll(deliveries);
        }
        catch
        {
            // Each delivery's outcome is read below, one row at a time.
        }

        var sent = new List<long>(rows.Count);
        var sentTopics = new List<string>(rows.Count);
        var failed = new List<long>();
        var blockedKeys = new HashSet<string>();
        string? firstError = null;
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var delivery = deliveries[i];
            if (delivery.IsCompletedSuccessfully && !blockedKeys.Contains(row.MessageKey))
            {
                sent.Add(row.Sequence);
                sentTopics.Add(row.Topic);
                activities[i]?.SetTag("messaging.destination.partition.id", delivery.Result.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
                activities[i]?.SetTag("messaging.kafka.offset", delivery.Result.Offset.Value);
            }
            else
            {
                // Later rows of this key wait for the failed one, whatever their own outcome: a key's order is kept.
                if (blockedKeys.Add(row.MessageKey))
                    failed.Add(row.Sequence);
                var error = delivery.Exception?.GetBaseException() ?? new InvalidOperationException("Published after an earlier event of the same key failed.");
                firstError ??= error.Message;
                activities[i]?.SetStatus(ActivityStatusCode.Error, error.Message);
            }
            activities[i]?.Dispose();
        }

        // The marks need not wait for the WAL flush: a mark lost in a database crash only has its row published again,
        // and consumers skip a message they have handled. The business commits keep the flush to themselves. The COMMIT
        // goes with the marks, in one round trip (disposing the transaction afterwards sends nothing).
        await connection.ExecuteAsync(new CommandDefinition(
            """
            SET LOCAL synchronous_commit = off;
            UPDATE messaging.outbox SET sent_at = now(), attempts = attempts + 1 WHERE sequence = ANY(@sent);
            UPDATE messaging.outbox SET attempts = attempts + 1, last_error = @firstError WHERE sequence = ANY(@failed);
            COMMIT;
            """,
            new { sent = sent.ToArray(), failed = failed.ToArray(), firstError }, transaction, cancellationToken: CancellationToken.None));

        foreach (var topic in sentTopics)
            telemetry.Sent(topic);
        if (failed.Count > 0)
            LogPublishFailed(logger, rows.Count - sent.Count, rows.Count, firstError);
        return new Round(sent.Count, Failed: failed.Count > 0, Full: rows.Count == _settings.BatchSize);
    }

    private Task<DeliveryResult<string, byte[]>> Produce(OutboxRow row, Activity? activity)
    {
        try
        {
            // Inside the try: a row that cannot be read fails its own delivery, not the whole round.
            var headers = new Headers
            {
                { MessageHeaders.MessageId, Encoding.UTF8.GetBytes(row.MessageId.ToString()) },
                { MessageHeaders.MessageType, Encoding.UTF8.GetBytes(EnvelopeType(row.Envelope)) },
            };
            // The consumer continues the publish span; without a listener, the business transaction's context itself.
            var traceParent = activity?.Id ?? row.TraceParent;
            var traceState = activity is null ? row.TraceState : activity.TraceStateString;
            if (traceParent is not null)
                headers.Add(MessageHeaders.TraceParent, Encoding.UTF8.GetBytes(traceParent));
            if (traceState is not null)
                headers.Add(MessageHeaders.TraceState, Encoding.UTF8.GetBytes(traceState));
            return producer.ProduceAsync(row.Topic, new Message<string, byte[]> { Key = row.MessageKey, Value = row.Envelope, Headers = headers },
                CancellationToken.None);
        }
        catch (Exception exception)
        {
            return Task.FromException<DeliveryResult<string, byte[]>>(exception);
        }
    }

    private static string EnvelopeType(byte[] envelope) => Contracts.Messaging.V1.Envelope.Parser.ParseFrom(envelope).Type;

    [LoggerMessage(LogLevel.Warning, "Outbox round failed; it is retried after a backoff")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogLevel.Warning, "Outbox: {Failed} of {Claimed} events not acknowledged by the broker ({Error}); retrying after a backoff")]
    private static partial void LogPublishFailed(ILogger logger, int failed, int claimed, string? error);
}
