using System.Collections.Concurrent;
using System.Diagnostics;
using Checkout.Contracts.Events.V1;
using Checkout.Contracts.Messaging.V1;
using Confluent.Kafka;

namespace Checkout.Bench.Saga;

/// <summary>How an order's saga ended, and when the benchmark saw it (Stopwatch timestamp).</summary>
internal readonly record struct Outcome(bool Confirmed, long SeenAt);

/// <summary>
/// Reads the "orders" topic as any downstream consumer would and notes when each order's OrderConfirmed or
/// OrderCancelled appears: end-to-end completion without polling the Orders service (which would add load to it).
/// </summary>
internal sealed class ConfirmationWatcher : IDisposable
{
    private static readonly string ConfirmedType = OrderConfirmed.Descriptor.FullName;
    private static readonly string CancelledType = OrderCancelled.Descriptor.FullName;

    private readonly ConcurrentDictionary<string, TaskCompletionSource<Outcome>> _outcomes = new(StringComparer.Ordinal);
    private readonly IConsumer<string, byte[]> _consumer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;

    public ConfirmationWatcher(string bootstrapServers)
    {
        _consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "bench-watcher-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Latest,
            EnableAutoCommit = false,
            // The embedded broker answers an empty fetch only after fetch.wait.max.ms.
            FetchWaitMaxMs = 5,
        }).Build();
        _consumer.Subscribe("orders");
        _thread = new Thread(Run) { IsBackground = true, Name = "orders-topic-watcher" };
        _thread.Start();
    }

    /// <summary>Completes when the order's saga ends (immediately if it already has).</summary>
    public Task<Outcome> OutcomeOf(string orderId) => Slot(orderId).Task;

    /// <summary>Waits until the consumer has its partitions, so that no event of the runs is missed.</summary>
    public async Task WaitUntilAssignedAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (_consumer.Assignment.Count == 0)
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException("The orders-topic watcher got no partitions.");
            }

            await Task.Delay(50);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _consumer.Close();
        _consumer.Dispose();
        _stop.Dispose();
    }

    private TaskCompletionSource<Outcome> Slot(string orderId) =>
        _outcomes.GetOrAdd(orderId, _ => new TaskCompletionSource<Outcome>(TaskCreationOptions.RunContinuationsAsynchronously));

    private void Run()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var result = _consumer.Consume(_stop.Token);
                var envelope = Envelope.Parser.ParseFrom(result.Message.Value);
                if (envelope.Type == ConfirmedType || envelope.Type == CancelledType)
                {
                    Slot(result.Message.Key).TrySetResult(new Outcome(envelope.Type == ConfirmedType, Stopwatch.GetTimestamp()));
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed.
        }
    }
}
