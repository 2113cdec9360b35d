using System.Net;
using System.Net.Sockets;

namespace Checkout.Grpc.Tests;

/// <summary>Addresses on 127.0.0.1 for the tests of failed connections.</summary>
internal static class LoopbackPorts
{
    /// <summary>A port nothing listens on: one the kernel gave us free, then released (connections are refused).</summary>
    public static int Closed()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static Uri ClosedAddress() => new($"http://127.0.0.1:{Closed()}");
}
