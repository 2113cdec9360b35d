namespace Checkout.AppHost.Integrations;

/// <summary>How the app host provides a piece of infrastructure in run mode (the published manifest always holds a container).</summary>
public enum InfrastructureMode
{
    /// <summary>Started by the app host, with no container runtime: the default, so that one command runs the system.</summary>
    Embedded,

    /// <summary>The user's own, given by a connection string (ConnectionStrings:&lt;name&gt;); the app host starts nothing.</summary>
    External,
}
