using Grpc.Net.Client;

namespace Checkout.Services.Tests;

/// <summary>
/// Another instance of a service under test: a project resource of the fixture's model declared with
/// WithExplicitStart, started by a test through the app model (as the dashboard's Start does) and stopped when disposed.
/// </summary>
public sealed class ServiceInstance : IAsyncDisposable
{
    private readonly CheckoutApp _app;
    private readonly ConsoleOutput _output;

    private ServiceInstance(CheckoutApp app, string name, ConsoleOutput output)
    {
        _app = app;
        Name = name;
        _output = output;
    }

    /// <summary>The instance's resource name.</summary>
    public string Name { get; }

    /// <summary>A gRPC channel to the instance's endpoint named grpc.</summary>
    public GrpcChannel Channel => _app.Channel(Name);

    /// <summary>Starts resource <paramref name="name"/> of <paramref name="app"/> and returns once it is healthy.</summary>
    public static async Task<ServiceInstance> StartAsync(CheckoutApp app, string name, CancellationToken cancellationToken)
    {
        var output = ConsoleOutput.Watch(app, name);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ServiceFixture.StartStopTimeout);
            await app.StartAsync(name, timeout.Token);
            return new ServiceInstance(app, name, output);
        }
        catch
        {
            await output.DisposeAsync();
            throw;
        }
    }

    /// <summary>The last <paramref name="count"/> lines the instance printed, oldest first.</summary>
    public string OutputTail(int count = 40) => _output.Tail(count);

    /// <summary>Waits (bounded) until the instance has printed a line with <paramref name="text"/>.</summary>
    public Task WaitForOutputAsync(string text) => _output.WaitForLineAsync(text);

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(ServiceFixture.StartStopTimeout);
            await _app.StopAsync(Name, timeout.Token);
        }
        finally
        {
            await _output.DisposeAsync();
        }
    }
}
