using System.ComponentModel.DataAnnotations;

namespace Checkout.ServiceDefaults.Messaging;

public sealed class ConsumerOptions
{
    /// <summary>Attempts of a failing message before it goes to the dead-letter topic (&lt;topic&gt;.dlq).</summary>
    [Range(1, 1_000)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>First and largest wait between attempts (exponential backoff with jitter in between).</summary>
    public TimeSpan RetryMinDelay { get; set; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most messages of one partition handled in one database transaction with one inbox insert.</summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 200;

    /// <summary>Messages buffered per partition before the partition is paused (resumed at half).</summary>
    [Range(2, 1_000_000)]
    public int MaxBufferedPerPartition { get; set; } = 2_000;

    /// <summary>How often finished offsets are committed to the broker.</summary>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromMilliseconds(500);
}
