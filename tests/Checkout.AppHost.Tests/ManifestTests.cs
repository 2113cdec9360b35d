using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Checkout.Contracts;
using Checkout.Testing.AppHost;
using Json.Schema;

namespace Checkout.AppHost.Tests;

/// <summary>
/// The deployment manifest as a user writes it (eng/publish-manifest.sh, which runs
/// <c>dotnet run --project Checkout.AppHost -- --publisher manifest --output-path ...</c>): valid against the Aspire
/// 8.0 manifest schema, holding what Azure Container Apps needs, and no secret.
/// </summary>
public sealed partial class ManifestTests
{
    private static readonly string[] Projects = [.. CheckoutApp.Services];

    private static readonly string[] Databases =
        [DatabaseNames.Catalog, DatabaseNames.Orders, DatabaseNames.Inventory, DatabaseNames.Payments, DatabaseNames.Notifications];

    [Fact]
    public async Task The_published_manifest_validates_against_the_schema_and_holds_the_projects_the_containers_and_secret_parameters_only()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = Directory.CreateTempSubdirectory("checkout-manifest-");
        try
        {
            var path = Path.Combine(folder.FullName, "aspire-manifest.json");
            await PublishAsync(path, ct);
            var text = await File.ReadAllTextAsync(path, ct);
            using var manifest = JsonDocument.Parse(text);

            // Valid against the schema (eng/aspire-8.0.json, SchemaStore's aspire-8.0.json), by a JSON Schema validator.
            var schema = JsonSchema.FromFile(Path.Combine(AppHostProcess.RepositoryRoot, "eng", "aspire-8.0.json"));
            var result = schema.Evaluate(manifest.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            Assert.True(result.IsValid, "The manifest does not validate:" + Environment.NewLine + string.Join(Environment.NewLine,
                (result.Details ?? []).Where(detail => detail.Errors is { Count: > 0 })
                    .SelectMany(detail => detail.Errors!.Select(error => $"{detail.InstanceLocation}: {error.Key}: {error.Value}"))));

            var resources = manifest.RootElement.GetProperty("resources");
            foreach (var project in Projects)
            {
                Assert.StartsWith("project.", Type(resources, project), StringComparison.Ordinal);
                Assert.EndsWith($"Checkout.{char.ToUpperInvariant(project[0])}{project[1..]}.csproj", resources.GetProperty(project).GetProperty("path").GetString(), StringComparison.Ordinal);
            }

            // PostgreSQL as its official container, with its password a parameter, and each database on it.
            Assert.Equal("container.v0", Type(resources, "postgres"));
            Assert.StartsWith("docker.io/library/postgres:", resources.GetProperty("postgres").GetProperty("image").GetString(), StringComparison.Ordinal);
            Assert.Contains("Password={postgres-password.value}", resources.GetProperty("postgres").GetProperty("connectionString").GetString(), StringComparison.Ordinal);
            foreach (var database in Databases)
                Assert.Equal($"{{postgres.connectionString}};Database={database}", resources.GetProperty(database).GetProperty("connectionString").GetString());

            // Kafka as the official Apache Kafka image, one KRaft node.
            Assert.Equal("container.v0", Type(resources, "kafka"));
            var kafka = resources.GetProperty("kafka");
            Assert.StartsWith("apache/kafka:", kafka.GetProperty("image").GetString(), StringComparison.Ordinal);
            Assert.Equal("broker,controller", kafka.GetProperty("env").GetProperty("KAFKA_PROCESS_ROLES").GetString());
            Assert.Equal(9092, kafka.GetProperty("bindings").GetProperty("tcp").GetProperty("targetPort").GetInt32());

            // The services are wired to them through references, not through values of this machine.
            Assert.Equal($"{{{DatabaseNames.Orders}.connectionString}}", Env(resources, ServiceNames.Orders, $"ConnectionStrings__{DatabaseNames.Orders}"));
            Assert.Equal("{kafka.connectionString}", Env(resources, ServiceNames.Orders, "ConnectionStrings__kafka"));

            // Secrets are parameters to be given at deployment, with no value in the manifest.
            foreach (var secret in (string[])["jwt-signing-key", "postgres-password"])
            {
                Assert.Equal("parameter.v0", Type(resources, secret));
                var input = resources.GetProperty(secret).GetProperty("inputs").GetProperty("value");
                Assert.True(input.GetProperty("secret").GetBoolean(), $"{secret} is not marked secret");
                Assert.False(input.TryGetProperty("default", out _), $"{secret} has a default value");
            }

            Assert.Equal("{jwt-signing-key.value}", Env(resources, ServiceNames.Gateway, "Authentication__Jwt__SigningKeys__0__Secret"));
            Assert.DoesNotContain(DevelopmentSigningKey(), text, StringComparison.Ordinal);
            Assert.DoesNotMatch(LiteralPassword(), text);
            // Nothing of the run mode's embedded infrastructure: no executable, no loopback address, no local data folder.
            Assert.DoesNotContain("executable.", text, StringComparison.Ordinal);
            Assert.DoesNotContain("127.0.0.1", text, StringComparison.Ordinal);
            Assert.DoesNotContain(".data/postgres", text, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task PublishAsync(string path, CancellationToken cancellationToken)
    {
        // --no-build: the tests run on what was built; the configuration is the one they were built in.
        var configuration = typeof(ManifestTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var start = new ProcessStartInfo("bash", [Path.Combine(AppHostProcess.RepositoryRoot, "eng", "publish-manifest.sh"), path, "--no-build", "--configuration", configuration])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(process.ExitCode == 0 && File.Exists(path), $"eng/publish-manifest.sh exited with {process.ExitCode}:{Environment.NewLine}{await output}{await error}");
    }

    private static string? Type(JsonElement resources, string name) =>
        resources.TryGetProperty(name, out var resource) ? resource.GetProperty("type").GetString() : $"(no resource {name})";

    private static string? Env(JsonElement resources, string resource, string variable) =>
        resources.GetProperty(resource).GetProperty("env").GetProperty(variable).GetString();

    // The development key of appsettings.Development.json must never reach a deployment.
    private static string DevelopmentSigningKey()
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppHostProcess.RepositoryRoot, "services", "Gateway", "appsettings.Development.json")));
        return settings.RootElement.GetProperty("Authentication").GetProperty("Jwt").GetProperty("SigningKeys")[0].GetProperty("Secret").GetString()!;
    }

    // "Password=" followed by anything but a reference to a parameter.
    [GeneratedRegex(@"(?i)password=(?!\{)")]
    private static partial Regex LiteralPassword();
}
