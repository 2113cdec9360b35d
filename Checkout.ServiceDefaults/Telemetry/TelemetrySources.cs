namespace Checkout.ServiceDefaults.Telemetry;

/// <summary>
/// What the service exports. ASP.NET Core, HttpClient and Npgsql emit Activities and Meters natively; the
/// OpenTelemetry.Instrumentation.* packages are not used, so we subscribe by name ('*' is a wildcard).
/// </summary>
public static class TelemetrySources
{
    public static IReadOnlyList<string> ActivitySources { get; } =
        ["Microsoft.AspNetCore", "Microsoft.AspNetCore.*", "System.Net.Http", "Npgsql", "Checkout.*"];

    public static IReadOnlyList<string> Meters { get; } =
        ["Microsoft.AspNetCore.*", "System.Net.*", "System.Runtime", "Npgsql", "Checkout.*"];
}
