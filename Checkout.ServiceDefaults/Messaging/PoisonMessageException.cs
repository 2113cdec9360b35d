namespace Checkout.ServiceDefaults.Messaging;

/// <summary>A message that can never be handled (malformed, unexpected): it goes to the dead-letter topic without retries.</summary>
public sealed class PoisonMessageException(string message, Exception? innerException = null) : Exception(message, innerException);
