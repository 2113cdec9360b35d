using System.Collections.Concurrent;
using Checkout.Contracts.Events.V1;
using Checkout.ServiceDefaults.Messaging;
using Dapper;
using Google.Protobuf.Reflection;
using Npgsql;

namespace Checkout.Messaging.Tests;

/// <summary>
/// What the test handlers saw, shared by every instance in a test: attempts per message, keys being handled right
/// now (two handlers of one key at once is an overlap), and which failures to inject.
/// </summary>
internal sealed class TestProbe
{
    private readonly ConcurrentDictionary<string, int> _active = new();
    private int _overlaps;

    public ConcurrentDictionary<Guid, int> Attempts { get; } = new();

    /// <summary>Given a message and its attempt number (1-based), whether this attempt throws a transient error.</summary>
    public Func<ConsumedMessage, int, bool> FailAttempt { get; set; } = (_, _) => false;

    /// <summary>How long handling a message takes (to keep work in flight, or to outlast the poll interval).</summary>
    public Func<ConsumedMessage, TimeSpan> HandlingDelay { get; set; } = _ => TimeSpan.Zero;

    public int Overlaps => Volatile.Read(ref _overlaps);

    public void Enter(string key)
    {
        if (_active.AddOrUpdate(key, 1, (_, count) => count + 1) > 1)
            Interlocked.Increment(ref _overlaps);
    }

    public void Exit(string key) => _active.AddOrUpdate(key, 0, (_, count) => count - 1);
}

/// <summary>Records each OrderPlaced as an effect row, in the message's transaction.</summary>
internal sealed class EffectsHandler(TestProbe probe, TestInstance instance) : IMessageHandler
{
    public async Task HandleAsync(ConsumedMessage message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        probe.Enter(message.Key);
        try
        {
            var attempt = probe.Attempts.AddOrUpdate(message.MessageId, 1, (_, count) => count + 1);
            var placed = message.Payload<OrderPlaced>();
            if (probe.HandlingDelay(message) is { Ticks: > 0 } delay)
                await Task.Delay(delay, cancellationToken);
            if (probe.FailAttempt(message, attempt))
                throw new InvalidOperationException($"Injected transient failure, attempt {attempt}.");
            await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                "INSERT INTO effects (message_id, message_key, seq, instance) VALUES (@MessageId, @Key, @TotalMinor, @Instance)",
                new { message.MessageId, message.Key, placed.TotalMinor, Instance = instance.Name }, transaction, cancellationToken: cancellationToken));
        }
        finally
        {
            probe.Exit(message.Key);
        }
    }
}

/// <summary>
/// <see cref="EffectsHandler"/> for OrderPlaced, declared as the one event type it acts on; like the services' handlers
/// it would also ignore any other type given to it.
/// </summary>
internal sealed class OrderPlacedOnlyHandler(TestProbe probe, TestInstance instance) : IMessageHandler
{
    private readonly EffectsHandler _effects = new(probe, instance);

    public static IReadOnlyList<MessageDescriptor> HandledTypes { get; } = [OrderPlaced.Descriptor];

    public Task HandleAsync(ConsumedMessage message, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        message.Is<OrderPlaced>() ? _effects.HandleAsync(message, transaction, cancellationToken) : Task.CompletedTask;
}

/// <summary>Where a forwarding service publishes what it handled.</summary>
internal sealed record ForwardTo(string Topic);

/// <summary>A middle service of a saga: records the effect and writes the next event through the outbox, in one transaction.</summary>
internal sealed class ForwardingHandler(IOutbox outbox, ForwardTo forwardTo, TestInstance instance) : IMessageHandler
{
    public async Task HandleAsync(ConsumedMessage message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var placed = message.Payload<OrderPlaced>();
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "INSERT INTO effects (message_id, message_key, seq, instance) VALUES (@MessageId, @Key, @TotalMinor, @Instance)",
            new { message.MessageId, message.Key, placed.TotalMinor, Instance = instance.Name }, transaction, cancellationToken: cancellationToken));
        await outbox.WriteAsync(transaction, forwardTo.Topic, message.Key, placed, message.CorrelationId, cancellationToken);
    }
}

/// <summary>Writes the next event through the outbox, then fails: its transaction ends before the outbox flush.</summary>
internal sealed class PublishThenFailHandler(IOutbox outbox, ForwardTo forwardTo) : IMessageHandler
{
    public async Task HandleAsync(ConsumedMessage message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await outbox.WriteAsync(transaction, forwardTo.Topic, message.Key, message.Payload<OrderPlaced>(), message.CorrelationId, cancellationToken);
        throw new InvalidOperationException("Injected failure after an outbox write.");
    }
}
