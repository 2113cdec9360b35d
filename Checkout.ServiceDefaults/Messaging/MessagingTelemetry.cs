using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using Confluent.Kafka;

namespace Checkout.ServiceDefaults.Messaging;

/// <summary>
/// Spans and metrics of the messaging component, named "Checkout.Messaging" (ServiceDefaults subscribes to
/// "Checkout.*"). Span attributes follow the OpenTelemetry messaging semantic conventions for Kafka.
/// </summary>
public sealed class MessagingTelemetry
{
    public const string Name = "Checkout.Messaging";

    internal static readonly ActivitySource Source = new(Name);

    private readonly Counter<long> _sent;
    private readonly Counter<long> _consumed;
    private readonly Counter<long> _retried;
    private readonly Counter<long> _deadLettered;
    private readonly Histogram<double> _processDuration;

    public MessagingTelemetry(IMeterFactory meterFactory, OutboxStatistics outboxStatistics)
    {
        var meter = meterFactory.Create(Name);
        _sent = meter.CreateCounter<long>("messaging.client.sent.messages", "{message}", "Events published from the outbox and acknowledged by the broker.");
        _consumed = meter.CreateCounter<long>("messaging.client.consumed.messages", "{message}", "Messages handled to completion (including duplicates skipped by the inbox).");
        _retried = meter.CreateCounter<long>("checkout.messaging.retries", "{attempt}", "Handler attempts that failed and were retried.");
        _deadLettered = meter.CreateCounter<long>("checkout.messaging.dead_lettered", "{message}", "Messages sent to a dead-letter topic.");
        _processDuration = meter.CreateHistogram<double>("messaging.process.duration", "s", "Duration of handling one message.");
        meter.CreateObservableGauge("checkout.messaging.outbox.backlog", () => outboxStatistics.Current.Backlog, "{message}", "Outbox rows not yet published.");
        meter.CreateObservableGauge("checkout.messaging.outbox.oldest_age", () => outboxStatistics.Current.OldestAge.TotalSeconds, "s", "Age of the oldest unpublished outbox row.");
    }

    internal void Sent(string topic) => _sent.Add(1, new KeyValuePair<string, object?>("messaging.destination.name", topic));
    internal void Consumed(string topic, string group) => _consumed.Add(1, Destination(topic), Group(group));
    internal void Retried(string topic, string group) => _retried.Add(1, Destination(topic), Group(group));
    internal void DeadLettered(string topic, string group) => _deadLettered.Add(1, Destination(topic), Group(group));

    internal void Processed(string topic, string group, TimeSpan duration) =>
        _processDuration.Record(duration.TotalSeconds, Destination(topic), Group(group), new("messaging.system", "kafka"));

    private static KeyValuePair<string, object?> Destination(string topic) => new("messaging.destination.name", topic);
    private static KeyValuePair<string, object?> Group(string group) => new("messaging.consumer.group.name", group);

    /// <summary>The producer span: a child of the business transaction that wrote the outbox row.</summary>
    internal static Activity? StartSend(string topic, string key, string messageId, string? traceParent, string? traceState)
    {
        ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var parent);
        var activity = Source.StartActivity(ActivityKind.Producer, parent, name: "send " + topic);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "kafka");
            activity.SetTag("messaging.operation.type", "send");
            activity.SetTag("messaging.operation.name", "send");
            activity.SetTag("messaging.destination.name", topic);
            activity.SetTag("messaging.message.id", messageId);
            activity.SetTag("messaging.kafka.message.key", key);
        }
        return activity;
    }

    /// <summary>The consumer span: a child of the producer span whose context travels in the traceparent header.</summary>
    internal static Activity? StartProcess(ConsumeResult<string, byte[]> result, string group, string? messageId)
    {
        ActivityContext.TryParse(Header(result.Message.Headers, MessageHeaders.TraceParent), Header(result.Message.Headers, MessageHeaders.TraceState),
            isRemote: true, out var parent);
        var activity = Source.StartActivity(ActivityKind.Consumer, parent, name: "process " + result.Topic);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "kafka");
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.operation.name", "process");
            activity.SetTag("messaging.destination.name", result.Topic);
            activity.SetTag("messaging.consumer.group.name", group);
            activity.SetTag("messaging.destination.partition.id", result.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetTag("messaging.kafka.offset", result.Offset.Value);
            activity.SetTag("messaging.kafka.message.key", result.Message.Key);
            activity.SetTag("messaging.message.id", messageId);
        }
        return activity;
    }

    internal static string? Header(Headers? headers, string name) =>
        headers is not null && headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;
}
