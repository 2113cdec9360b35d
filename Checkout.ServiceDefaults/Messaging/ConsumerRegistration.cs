namespace Checkout.ServiceDefaults.Messaging;

/// <summary>What AddConsumer registered: the handler and the topics it consumes.</summary>
internal sealed record ConsumerRegistration(Type HandlerType, IReadOnlyList<string> Topics);
