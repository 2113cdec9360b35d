using System.Threading.Channels;
using Confluent.Kafka;

namespace Checkout.ServiceDefaults.Messaging;

/// <summary>
/// The work queue of one assigned partition, handled in order by one worker: the consume loop keeps polling
/// (and stays in its group) however slow the handler is. The lane records the offset below which every message
/// is finished, which is what may be committed.
/// </summary>
internal sealed class PartitionLane : IDisposable
{
    private readonly Channel<ConsumeResult<string, byte[]>> _queue =
        Channel.CreateUnbounded<ConsumeResult<string, byte[]>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _drain = new();
    private readonly CancellationTokenSource _abandon = new();
    private readonly CancellationTokenSource _stop;
    private int _buffered;
    private long _finishedOffset = Offset.Unset.Value;

    public PartitionLane(TopicPartition topicPartition, int maxBatchSize, Func<List<ConsumeResult<string, byte[]>>, PartitionLane, Task> process)
    {
        TopicPartition = topicPartition;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(_drain.Token, _abandon.Token);
        Worker = Task.Run(() => RunAsync(maxBatchSize, process));
    }

    public TopicPartition TopicPartition { get; }
    public Task Worker { get; }
    public int Buffered => Volatile.Read(ref _buffered);

    /// <summary>The next offset to read once everything before it is finished (what Kafka commits), or Unset.</summary>
    public long FinishedOffset => Interlocked.Read(ref _finishedOffset);

    /// <summary>The offset last committed for this lane; read and written by the consume loop only.</summary>
    public long CommittedOffset { get; set; } = Offset.Unset.Value;

    /// <summary>Cancelled when the lane must stop taking work (revoked, lost, shut down): also ends retry waits.</summary>
    public CancellationToken StopToken => _stop.Token;

    /// <summary>Cancelled when in-flight handling must be abandoned (partition lost): handlers' transactions roll back.</summary>
    public CancellationToken AbandonToken => _abandon.Token;

    public void Enqueue(ConsumeResult<string, byte[]> result)
    {
        Interlocked.Increment(ref _buffered);
        _queue.Writer.TryWrite(result);
    }

    public void Finished(long offset) => Interlocked.Exchange(ref _finishedOffset, offset + 1);

    /// <summary>Finish the message in hand, abandon the queued ones (they are redelivered to the next owner).</summary>
    public Task DrainAsync()
    {
        _drain.Cancel();
        return Worker;
    }

    /// <summary>Stop at once: the partition already belongs to another consumer.</summary>
    public Task AbandonAsync()
    {
        _abandon.Cancel();
        return Worker;
    }

    private async Task RunAsync(int maxBatchSize, Func<List<ConsumeResult<string, byte[]>>, PartitionLane, Task> process)
    {
        var batch = new List<ConsumeResult<string, byte[]>>(maxBatchSize);
        try
        {
            while (true)
            {
                batch.Clear();
                batch.Add(await _queue.Reader.ReadAsync(StopToken));
                while (batch.Count < maxBatchSize && _queue.Reader.TryRead(out var next))
                    batch.Add(next);
                Interlocked.Add(ref _buffered, -batch.Count);
                await process(batch, this);
            }
        }
        catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
        {
            // Stopped: what is finished has been recorded; the rest is read again by the partition's next owner.
        }
        catch (Exception) when (AbandonToken.IsCancellationRequested)
        {
            // Abandoned mid-batch (the partition was lost): whatever the cut-short handling threw, its transaction
            // rolled back and the partition's next owner handles those messages again.
        }
    }

    public void Dispose()
    {
        _stop.Dispose();
        _drain.Dispose();
        _abandon.Dispose();
    }
}
