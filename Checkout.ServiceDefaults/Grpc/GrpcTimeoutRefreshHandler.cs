using System.Diagnostics;
using System.Globalization;

namespace Checkout.ServiceDefaults.Grpc;

/// <summary>
/// Keeps the grpc-timeout header of a retried gRPC request true. Grpc.Net.Client writes the header once, when it creates
/// the request, and <see cref="GrpcResilience"/> retries by sending that same request again: without this handler a
/// retry made 600 ms into a 30 s call still tells the server "30 s", so the server (and every call it passes the
/// deadline on to) works past the moment the caller gives up. Placed inside the retries, this handler notes the
/// deadline the first attempt announced and rewrites the header of every later attempt to the time left.
/// </summary>
internal sealed class GrpcTimeoutRefreshHandler : DelegatingHandler
{
    private const string TimeoutHeader = "grpc-timeout";

    // A Stopwatch timestamp: immune to changes of the wall clock between attempts.
    private static readonly HttpRequestOptionsKey<long> DeadlineKey = new("Checkout.GrpcDeadline");

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Options.TryGetValue(DeadlineKey, out var deadline))
        {
            var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            request.Headers.Remove(TimeoutHeader);
            request.Headers.TryAddWithoutValidation(TimeoutHeader, Encode(left));
        }
        else if (request.Headers.NonValidated.TryGetValues(TimeoutHeader, out var values) && TryDecode(values.ToString(), out var timeout))
        {
            request.Options.Set(DeadlineKey, Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency));
        }

        return base.SendAsync(request, cancellationToken);
    }

    /// <summary>Milliseconds, at least one (the deadline is the caller's to enforce; a server needs a positive value).</summary>
    private static string Encode(TimeSpan left)
    {
        var milliseconds = Math.Max(1, (long)left.TotalMilliseconds);
        // The value has at most 8 digits.
        return milliseconds < 100_000_000
            ? milliseconds.ToString(CultureInfo.InvariantCulture) + "m"
            : (milliseconds / 1000).ToString(CultureInfo.InvariantCulture) + "S";
    }

    private static bool TryDecode(string value, out TimeSpan timeout)
    {
        timeout = default;
        if (value.Length < 2 || !long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
            return false;
        timeout = value[^1] switch
        {
            'H' => TimeSpan.FromHours(amount),
            'M' => TimeSpan.FromMinutes(amount),
            'S' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMilliseconds(amount),
            'u' => TimeSpan.FromMicroseconds(amount),
            'n' => TimeSpan.FromTicks(amount / TimeSpan.NanosecondsPerTick),
            _ => TimeSpan.MinValue,
        };
        return timeout >= TimeSpan.Zero;
    }
}
