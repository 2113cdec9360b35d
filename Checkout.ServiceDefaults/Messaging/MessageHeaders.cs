namespace Checkout.ServiceDefaults.Messaging;

/// <summary>Kafka header names set on every published event.</summary>
public static class MessageHeaders
{
    public const string MessageId = "message-id";
    public const string MessageType = "message-type";
    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";

    // Dead-letter headers: why the message failed, after how many attempts, and where it came from.
    public const string DeadLetterError = "dlq-error";
    public const string DeadLetterAttempts = "dlq-attempts";
    public const string DeadLetterTopic = "dlq-original-topic";
    public const string DeadLetterPartition = "dlq-original-partition";
    public const string DeadLetterOffset = "dlq-original-offset";
}
