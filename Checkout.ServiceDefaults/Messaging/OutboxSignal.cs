using System.Threading.Channels;

namespace Checkout.ServiceDefaults.Messaging;

/// <summary>
/// Wakes this process's outbox dispatcher once events have been committed, so they are published at once rather
/// than at the next poll. In-process on purpose, not LISTEN/NOTIFY: PostgreSQL serializes the commits of every
/// transaction that sent a NOTIFY, in all databases of the cluster, behind one lock held through the commit's WAL
/// flush, which made every outbox-writing transaction of the system wait for the others. Rows committed by another
/// instance need no wake-up here: that instance's own dispatcher publishes them, and every dispatcher polls.
/// </summary>
internal sealed class OutboxSignal
{
    // One pending wake-up is enough: a round publishes everything committed before it starts.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private long _wakes;

    public void Wake()
    {
        Interlocked.Increment(ref _wakes);
        _wake.Writer.TryWrite(true);
    }

    /// <summary>
    /// Called as a dispatcher round starts, before it reads the outbox: spends the pending wake-up (the round sees
    /// every row committed before it) and returns a mark for <see cref="WokenSince"/>.
    /// </summary>
    public long RoundStarting()
    {
        _wake.Reader.TryRead(out _);
        return Interlocked.Read(ref _wakes);
    }

    /// <summary>Whether events were committed since the round that got <paramref name="mark"/> started.</summary>
    public bool WokenSince(long mark) => Interlocked.Read(ref _wakes) != mark;

    /// <summary>Waits for a wake-up or until <paramref name="timeout"/> has passed, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken stoppingToken)
    {
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        poll.CancelAfter(timeout);
        try
        {
            await _wake.Reader.ReadAsync(poll.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // The poll interval elapsed without a wake-up.
        }
    }
}
