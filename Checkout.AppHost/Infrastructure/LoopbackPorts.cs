using System.Net;
using System.Net.Sockets;

namespace Checkout.AppHost.Infrastructure;

/// <summary>TCP ports on 127.0.0.1, as the kernel sees them.</summary>
internal static class LoopbackPorts
{
    /// <summary>A port nobody listens on right now (another process may still take it before we bind it).</summary>
    internal static int PickFree()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return false;
        }
    }
}
