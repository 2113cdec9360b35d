namespace Checkout.AppHost.Hosting;

/// <summary>A declared resource and the builder it belongs to; the methods below chain on it (Aspire's IResourceBuilder&lt;T&gt; style).</summary>
public interface IResourceBuilder<out T>
    where T : class
{
    T Resource { get; }

    CheckoutApplicationBuilder ApplicationBuilder { get; }
}

internal sealed class ResourceBuilder<T>(T resource, CheckoutApplicationBuilder applicationBuilder) : IResourceBuilder<T>
    where T : Resource
{
    public T Resource { get; } = resource;

    public CheckoutApplicationBuilder ApplicationBuilder { get; } = applicationBuilder;
}

/// <summary>The composition verbs of Program.cs.</summary>
public static class ResourceBuilderExtensions
{
    /// <summary>Adds a database to the server; it is created at start when it does not exist.</summary>
    public static IResourceBuilder<PostgresDatabaseResource> AddDatabase(this IResourceBuilder<PostgresServerResource> server, string name)
    {
        ArgumentNullException.ThrowIfNull(server);
        var database = new PostgresDatabaseResource(name, server.Resource);
        return server.ApplicationBuilder.AddResource(database);
    }

    /// <summary>Topics the embedded broker creates at start (with their .dlq), each with <paramref name="partitions"/> partitions.</summary>
    public static IResourceBuilder<KafkaResource> WithTopics(this IResourceBuilder<KafkaResource> kafka, int partitions, params string[] topics)
    {
        ArgumentNullException.ThrowIfNull(kafka);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        kafka.Resource.Partitions = partitions;
        foreach (var topic in topics)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(topic);
            kafka.Resource.AddTopic(topic);
        }

        return kafka;
    }

    /// <summary>Gives the project <c>ConnectionStrings__&lt;name&gt;</c> of a database or broker.</summary>
    public static IResourceBuilder<ProjectResource> WithReference(this IResourceBuilder<ProjectResource> project, IResourceBuilder<IResourceWithConnectionString> source)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(source);
        project.Resource.AddConnectionReference(source.Resource);
        return project;
    }

    /// <summary>Gives the project <c>services__&lt;name&gt;__http__0</c>: the address of a project it calls.</summary>
    public static IResourceBuilder<ProjectResource> WithReference(this IResourceBuilder<ProjectResource> project, IResourceBuilder<ProjectResource> service)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(service);
        if (ReferenceEquals(project.Resource, service.Resource))
        {
            throw new ArgumentException($"The project '{project.Resource.Name}' cannot reference itself.", nameof(service));
        }

        project.Resource.AddServiceReference(service.Resource);
        return project;
    }

    /// <summary>Starts the project only once <paramref name="dependency"/> is healthy (a database: its server accepts connections).</summary>
    public static IResourceBuilder<ProjectResource> WaitFor(this IResourceBuilder<ProjectResource> project, IResourceBuilder<Resource> dependency)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(dependency);
        if (ReferenceEquals(project.Resource, dependency.Resource))
        {
            throw new ArgumentException($"The project '{project.Resource.Name}' cannot wait for itself.", nameof(dependency));
        }

        project.Resource.AddWaitFor(dependency.Resource);
        return project;
    }

    /// <summary>Sets an environment variable of the project (null removes one the host would set).</summary>
    public static IResourceBuilder<ProjectResource> WithEnvironment(this IResourceBuilder<ProjectResource> project, string name, string? value)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        project.Resource.SetEnvironment(name, value);
        return project;
    }

    /// <summary>Its endpoint speaks HTTP/2 without TLS (h2c with prior knowledge), as gRPC services do: the host probes /health that way.</summary>
    public static IResourceBuilder<ProjectResource> AsHttp2Service(this IResourceBuilder<ProjectResource> project)
    {
        ArgumentNullException.ThrowIfNull(project);
        project.Resource.IsHttp2Service = true;
        return project;
    }

    /// <summary>Listens on a fixed 127.0.0.1 port instead of a free one (configuration <c>&lt;name&gt;:Port</c> overrides it).</summary>
    public static IResourceBuilder<ProjectResource> WithHttpPort(this IResourceBuilder<ProjectResource> project, int port)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        project.Resource.Port = port;
        return project;
    }
}
