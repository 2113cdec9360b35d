using System.Globalization;

namespace Checkout.Bench.Saga;

/// <summary>CPU seconds each process used over a run.</summary>
internal sealed record CpuUse(IReadOnlyDictionary<string, double> Seconds)
{
    public double Total(TimeSpan wall) => Seconds.Values.Sum() / wall.TotalSeconds * 100;

    /// <summary>"postgres (all processes) 12 %, orders 5 %, ...": each process's share of one core over <paramref name="wall"/>.</summary>
    public string Shares(TimeSpan wall) => string.Join(", ",
        Seconds.Where(entry => entry.Value / wall.TotalSeconds >= 0.005).OrderByDescending(entry => entry.Value)
            .Select(entry => string.Create(CultureInfo.InvariantCulture, $"{entry.Key} {entry.Value / wall.TotalSeconds * 100:0} %")));

    public string Describe(TimeSpan wall, int checkouts) => string.Join(Environment.NewLine,
        Seconds.OrderByDescending(entry => entry.Value)
            .Select(entry => string.Create(CultureInfo.InvariantCulture,
                $"- {entry.Key}: {entry.Value / wall.TotalSeconds * 100:0} % ({entry.Value * 1000 / checkouts:0.0} ms per checkout)"))
            .Append(string.Create(CultureInfo.InvariantCulture,
                $"- all: {Seconds.Values.Sum() / wall.TotalSeconds * 100:0} % ({Seconds.Values.Sum() * 1000 / checkouts:0.0} ms of CPU per checkout)")));
}
