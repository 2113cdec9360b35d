using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Checkout.AppHost.Hosting;

/// <summary>
/// Declares the application: its resources and how they reference and wait for each other (Program.cs), in the style
/// of Aspire's IDistributedApplicationBuilder. Configuration comes from the AppHost project's appsettings.json, the
/// environment and the command line (highest last); <c>--no-build</c> is short for <c>--AppHost:NoBuild=true</c>.
/// </summary>
public sealed class CheckoutApplicationBuilder
{
    private const string ProjectDirectoryMetadata = "Checkout.AppHost.ProjectDirectory";
    private readonly List<Resource> _resources = [];

    internal CheckoutApplicationBuilder(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        AppHostDirectory = DefaultAppHostDirectory;
        RepositoryRoot = DefaultRepositoryRoot;
        Configuration = new ConfigurationManager();
        Configuration.AddJsonFile(Path.Combine(AppHostDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        Configuration.AddEnvironmentVariables();
        var noBuild = args.Contains("--no-build", StringComparer.Ordinal);
        Configuration.AddCommandLine(args.Where(argument => argument != "--no-build").ToArray());
        if (noBuild)
        {
            Configuration["AppHost:NoBuild"] = "true";
        }
    }

    /// <summary>The folder of the project this assembly was built from, recorded at build time.</summary>
    internal static string DefaultAppHostDirectory { get; } =
        typeof(CheckoutApplicationBuilder).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(metadata => metadata.Key == ProjectDirectoryMetadata)?.Value
        ?? throw new InvalidOperationException($"The assembly has no {ProjectDirectoryMetadata} metadata; build it with its project file.");

    /// <summary>The folder above <see cref="DefaultAppHostDirectory"/> that holds Checkout.sln.</summary>
    internal static string DefaultRepositoryRoot { get; } = FindRepositoryRoot(DefaultAppHostDirectory);

    /// <summary>The AppHost project's folder: project paths in Program.cs are relative to it.</summary>
    public string AppHostDirectory { get; }

    /// <summary>The folder holding Checkout.sln.</summary>
    public string RepositoryRoot { get; }

    public ConfigurationManager Configuration { get; }

    /// <summary>A PostgreSQL server; &lt;name&gt;:Mode chooses Embedded (default) or External.</summary>
    public IResourceBuilder<PostgresServerResource> AddPostgres(string name) => AddResource(new PostgresServerResource(name));

    /// <summary>A Kafka broker; &lt;name&gt;:Mode chooses Embedded (default) or External.</summary>
    public IResourceBuilder<KafkaResource> AddKafka(string name) => AddResource(new KafkaResource(name));

    /// <summary>A project (its .csproj, relative to the AppHost project's folder) run as a child process.</summary>
    public IResourceBuilder<ProjectResource> AddProject(string name, string projectPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(projectPath);
        var fullPath = Path.GetFullPath(projectPath, AppHostDirectory);
        if (!File.Exists(fullPath))
        {
            throw new HostingException($"The project '{name}' points at '{fullPath}', which does not exist. Fix its path in Checkout.AppHost/Program.cs.");
        }

        return AddResource(new ProjectResource(name, fullPath));
    }

    internal IResourceBuilder<T> AddResource<T>(T resource)
        where T : Resource
    {
        if (_resources.Any(existing => existing.Name == resource.Name))
        {
            throw new ArgumentException($"A resource named '{resource.Name}' is already declared; names are unique.", nameof(resource));
        }

        _resources.Add(resource);
        return new ResourceBuilder<T>(resource, this);
    }

    /// <summary>Checks the declarations and returns the application, ready to run.</summary>
    public CheckoutApplication Build()
    {
        var model = new ApplicationModel([.. _resources]);
        foreach (var project in model.Projects)
        {
            foreach (var dependency in project.WaitsFor.Cast<Resource>().Concat(project.ServiceReferences).Concat(project.ConnectionReferences.Cast<Resource>()))
            {
                if (!_resources.Contains(dependency))
                {
                    throw new HostingException($"The project '{project.Name}' refers to '{dependency.Name}', which this application does not declare.");
                }
            }

            ThrowIfWaitCycle(project, []);
        }

        var settings = HostSettings.Read(Configuration, RepositoryRoot);
        return CheckoutApplication.Built(model, settings);
    }

    private static void ThrowIfWaitCycle(ProjectResource project, List<ProjectResource> path)
    {
        if (path.Contains(project))
        {
            throw new HostingException(
                $"The projects wait for each other in a circle ({string.Join(" -> ", path.SkipWhile(step => step != project).Append(project))}): none could start. Remove one WaitFor.");
        }

        path.Add(project);
        foreach (var next in project.WaitsFor.OfType<ProjectResource>())
        {
            ThrowIfWaitCycle(next, path);
        }

        path.RemoveAt(path.Count - 1);
    }

    private static string FindRepositoryRoot(string start)
    {
        for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Checkout.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"Checkout.sln was not found above '{start}'.");
    }
}
