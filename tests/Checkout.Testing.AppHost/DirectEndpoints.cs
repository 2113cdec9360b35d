using Aspire.Hosting.ApplicationModel;
using Checkout.AppHost.Integrations;

namespace Checkout.Testing.AppHost;

/// <summary>
/// Takes DCP's proxy out from in front of some projects (<see cref="CheckoutAppOptions.DirectEndpoints"/>): each of
/// their endpoints is served by the project itself on a free 127.0.0.1 port fixed for the app's lifetime, as a
/// deployed service is. The proxy keeps a stopped project's address open and holds the connections it accepts
/// (parked until the project is back), so that a caller waits for its deadline; a stopped project served directly
/// refuses them, and a restarted one is found where it was.
/// </summary>
internal static class DirectEndpoints
{
    public static void Apply(IEnumerable<IResource> resources, IReadOnlyList<string> names)
    {
        foreach (var name in names)
        {
            var project = resources.OfType<ProjectResource>().SingleOrDefault(resource => resource.Name == name)
                ?? throw new ArgumentException($"DirectEndpoints names '{name}', which is no project of this app.", nameof(names));
            foreach (var endpoint in project.Annotations.OfType<EndpointAnnotation>())
            {
                endpoint.IsProxied = false;
                endpoint.Port = endpoint.TargetPort = LoopbackPorts.PickFree();
            }
        }
    }
}
