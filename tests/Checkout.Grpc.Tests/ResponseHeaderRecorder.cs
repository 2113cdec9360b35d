using System.Collections.Concurrent;

namespace Checkout.Grpc.Tests;

/// <summary>
/// Records one response header of every response a channel receives: Grpc.Net.Client keeps protocol headers such as
/// grpc-encoding out of the metadata it shows, so a test that checks them reads them on the wire's side of the client.
/// </summary>
public sealed class ResponseHeaderRecorder(string headerName) : DelegatingHandler
{
    private readonly ConcurrentQueue<string> _values = new();

    public IReadOnlyCollection<string> Values => _values;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (response.Headers.TryGetValues(headerName, out var values))
        {
            foreach (var value in values)
                _values.Enqueue(value);
        }

        return response;
    }
}
