namespace Checkout.AppHost.Integrations;

/// <summary>
/// The embedded PostgreSQL or Kafka cluster could not start or do what was asked. The message says what failed and
/// what to do; callers at the top of a process print it instead of a stack trace.
/// </summary>
public sealed class EmbeddedInfrastructureException : InvalidOperationException
{
    public EmbeddedInfrastructureException(string message) : base(message)
    {
    }

    public EmbeddedInfrastructureException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
