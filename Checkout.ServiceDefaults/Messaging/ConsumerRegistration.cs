namespace Checkout.ServiceDefaults.Messaging;

/// <summary>
/// What AddConsumer registered: the handler, the topics it consumes, and the full names of the event types it acts on
/// (null: all of them; see <see cref="IMessageHandler.HandledTypes"/>).
/// </summary>
internal sealed record ConsumerRegistration(Type HandlerType, IReadOnlyList<string> Topics, IReadOnlySet<string>? HandledTypes)
{
    public bool Handles(string messageType) => HandledTypes is null || HandledTypes.Contains(messageType);
}
