namespace Microsoft.Extensions.Hosting;

// Placeholder replaced by the foundation work (telemetry, health, discovery, resilience).
public static class Extensions
{
}
