using System.Globalization;

namespace Checkout.Bench.Grpc;

/// <summary>One run of one configuration.</summary>
internal sealed record Measurement(double RequestsPerSecond, double P50Ms, double P99Ms, long Failed)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{RequestsPerSecond:F0} req/s, p50 {P50Ms:F2} ms, p99 {P99Ms:F2} ms, failed {Failed}");

    /// <summary>The value at quantile <paramref name="p"/> of sorted values (nearest rank).</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[(int)Math.Clamp(Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
