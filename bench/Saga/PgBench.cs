using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Checkout.AppHost.Integrations.Postgres;
using Npgsql;

namespace Checkout.Bench.Saga;

/// <summary>
/// The machine's ceiling, measured on the same PostgreSQL cluster in the same run: pgbench's TPC-B-like transaction
/// and a single-row INSERT, 8 clients each. These machines' speed drifts by 2x from day to day, so a saga figure means
/// something only beside these.
/// </summary>
internal static partial class PgBench
{
    private const string Database = "pgbench";
    private const int Clients = 8;

    public sealed record Ceiling(double TpcbPerSecond, double InsertsPerSecond);

    public static async Task<Ceiling> MeasureAsync(string databaseConnectionString, TimeSpan duration)
    {
        var target = new NpgsqlConnectionStringBuilder(databaseConnectionString);
        await using (var connection = new NpgsqlConnection(databaseConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS single_row_inserts (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())", connection);
            await create.ExecuteNonQueryAsync();
        }

        await RunAsync(target, ["-i", "-q", "-s", "10", Database]);
        var tpcb = Tps(await RunAsync(target, ["-n", "-c", $"{Clients}", "-j", "2", "-T", Seconds(duration), Database]));
        var script = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(script, "INSERT INTO single_row_inserts DEFAULT VALUES;\n");
            var inserts = Tps(await RunAsync(target, ["-n", "-c", $"{Clients}", "-j", "2", "-T", Seconds(duration), "-f", script, Database]));
            return new Ceiling(tpcb, inserts);
        }
        finally
        {
            File.Delete(script);
        }
    }

    public static string DatabaseName => Database;

    private static async Task<string> RunAsync(NpgsqlConnectionStringBuilder target, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(PgBenchProgram())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])["-h", target.Host!, "-p", target.Port.ToString(CultureInfo.InvariantCulture), "-U", target.Username!, .. arguments])
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"pgbench {string.Join(' ', arguments)} failed ({process.ExitCode}): {await errors}");
        return await output;
    }

    // pgbench ships beside the server, which may be found through a symbolic link (/usr/local/bin/postgres, say).
    private static string PgBenchProgram()
    {
        var server = new FileInfo(Path.Combine(PostgresBinaries.Locate(configuredFolder: null, "Postgres:BinDirectory"), "postgres"));
        var folder = Path.GetDirectoryName(server.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? server.FullName)!;
        return Path.Combine(folder, "pgbench");
    }

    private static double Tps(string output) => TpsLine().Match(output) is { Success: true } match
        ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
        : throw new InvalidOperationException($"pgbench printed no tps: {output}");

    private static string Seconds(TimeSpan duration) => ((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsLine();
}
