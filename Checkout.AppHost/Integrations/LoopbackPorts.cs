using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Checkout.AppHost.Integrations;

/// <summary>TCP ports on 127.0.0.1, as the kernel sees them.</summary>
internal static class LoopbackPorts
{
    // Below the kernel's ephemeral range: ports there are never handed out for an outgoing connection or a bind to
    // port 0, so a port picked here and bound a moment later by a child process cannot be taken in between by the
    // thousands of client connections a busy machine (or a parallel test run) opens.
    private const int LowestPicked = 20_000;
    private const int IanaEphemeralStart = 49_152;
    private const int Attempts = 200;

    private static readonly int EphemeralStart = ReadEphemeralStart();

    // Ports handed out by this process: two resources of one host pick before either binds, so "nobody listens
    // now" alone could give both the same port.
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A port nobody listens on right now, chosen at random below the ephemeral range; only another process that
    /// picks ports the same way could take it before we bind it.
    /// </summary>
    internal static int PickFree()
    {
        if (EphemeralStart - LowestPicked >= 1_000)
        {
            for (var attempt = 0; attempt < Attempts; attempt++)
            {
                var port = Random.Shared.Next(LowestPicked, EphemeralStart);
                if (IsFree(port) && HandOut(port))
                {
                    return port;
                }
            }
        }

        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            if (HandOut(((IPEndPoint)listener.LocalEndpoint).Port))
            {
                return ((IPEndPoint)listener.LocalEndpoint).Port;
            }
        }
    }

    private static bool HandOut(int port)
    {
        lock (HandedOut)
        {
            return HandedOut.Add(port);
        }
    }

    internal static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException exception) when (exception.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
        {
            return false;
        }
    }

    // Linux: "32768\t60999" in /proc/sys/net/ipv4/ip_local_port_range; elsewhere the IANA range (Windows, macOS).
    private static int ReadEphemeralStart()
    {
        const string range = "/proc/sys/net/ipv4/ip_local_port_range";
        try
        {
            var first = File.ReadAllText(range).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0];
            return int.Parse(first, CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return IanaEphemeralStart;
        }
    }
}
