using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Checkout.Testing.AppHost;

/// <summary>
/// The app host's model trimmed to some of its resources: what the kept resources said about the removed ones must go
/// too. A kept project would otherwise wait forever for a removed one it WaitFor's (no removed resource ever reports a
/// state), and be given endpoints of a removed one that are never allocated (Orders without Catalog: a test gives it
/// services__catalog__grpc__0 of a fake Catalog instead).
/// </summary>
internal static class TrimmedModel
{
    private const string ReferenceRelationship = "Reference";

    internal static void ForgetRemoved(IDistributedApplicationBuilder builder, IReadOnlyCollection<IResource> removed)
    {
        if (removed.Count == 0)
            return;
        var gone = removed.ToHashSet();
        foreach (var resource in builder.Resources.ToList())
        {
            // A connection string cannot be left out the way an endpoint can: the resource could not run without it.
            var needed = resource.Annotations.OfType<ResourceRelationshipAnnotation>()
                .Where(relationship => relationship.Type == ReferenceRelationship && relationship.Resource is IResourceWithConnectionString && gone.Contains(relationship.Resource))
                .Select(relationship => relationship.Resource.Name)
                .Distinct()
                .ToList();
            if (needed.Count > 0)
            {
                throw new InvalidOperationException(
                    $"'{resource.Name}' needs the connection string of {string.Join(", ", needed)}: name it in CheckoutAppOptions.Resources too.");
            }

            var stale = resource.Annotations
                .Where(annotation => annotation is WaitAnnotation wait && gone.Contains(wait.Resource)
                    || annotation is ResourceRelationshipAnnotation relationship && gone.Contains(relationship.Resource))
                .ToList();
            foreach (var annotation in stale)
                resource.Annotations.Remove(annotation);

            // WithReference(project) wrote its endpoints through a callback that cannot be taken out: this one, added
            // after it, takes out what it wrote about a removed resource.
            if (resource is IResourceWithEnvironment withEnvironment && stale.Count > 0)
            {
                builder.CreateResourceBuilder(withEnvironment).WithEnvironment(context =>
                {
                    foreach (var (name, value) in context.EnvironmentVariables.ToList())
                    {
                        if (RefersTo(value, gone, depth: 0))
                            context.EnvironmentVariables.Remove(name);
                    }
                });
            }
        }
    }

    private static bool RefersTo(object? value, HashSet<IResource> gone, int depth) => value switch
    {
        IResource resource => gone.Contains(resource),
        EndpointReference endpoint => gone.Contains(endpoint.Resource),
        IValueWithReferences withReferences when depth < 8 => withReferences.References.Any(reference => RefersTo(reference, gone, depth + 1)),
        _ => false,
    };
}
