// Stands in for Grpc.AspNetCore.Server's AddGrpc/MapGrpcService (not available here). Services are described by
// the proto service definitions (protoc's descriptors, generated even with GrpcServices="None") instead of
// generated base classes; handlers are bound per method and checked against the descriptor at start-up.
using System.Runtime.CompilerServices;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace Checkout.ServiceDefaults.Grpc;

public static class GrpcServiceCollectionExtensions
{
    /// <summary>Registers the gRPC server's options (message size limits).</summary>
    public static IServiceCollection AddGrpc(this IServiceCollection services, Action<GrpcServiceOptions>? configure = null)
    {
        var options = services.AddOptions<GrpcServiceOptions>();
        if (configure is not null) options.Configure(configure);
        return services;
    }
}

public static class GrpcEndpointRouteBuilderExtensions
{
    // One catch-all per route builder, so that an unknown service or method gets UNIMPLEMENTED rather than 404.
    private static readonly ConditionalWeakTable<IEndpointRouteBuilder, object> UnknownMethodEndpointMapped = new();

    /// <summary>
    /// Serves the proto service <paramref name="service"/>: <paramref name="bind"/> binds a handler to each method
    /// (names and message types checked now); methods left unbound answer UNIMPLEMENTED.
    /// </summary>
    public static IEndpointConventionBuilder MapGrpcService(this IEndpointRouteBuilder endpoints, ServiceDescriptor service, Action<GrpcServiceBinder> bind)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(bind);
        var options = endpoints.ServiceProvider.GetService<IOptions<GrpcServiceOptions>>()?.Value ?? new GrpcServiceOptions();
        var logger = endpoints.ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger("Checkout.ServiceDefaults.Grpc.GrpcServer") ?? NullLogger.Instance;
        var binder = new GrpcServiceBinder(service, options, logger);
        bind(binder);

        var group = endpoints.MapGroup("");
        foreach (var method in service.Methods)
        {
            var handler = binder.Handlers.GetValueOrDefault(method.Name)
                ?? new UnimplementedServerCallHandler(new GrpcMethodEndpoint(service.FullName, method.Name, options, logger));
            group.MapPost(handler.Endpoint.FullName, handler.HandleCallAsync).WithDisplayName($"gRPC {handler.Endpoint.FullName}");
        }
        MapUnknownMethods(endpoints, options, logger);
        return group;
    }

    private static void MapUnknownMethods(IEndpointRouteBuilder endpoints, GrpcServiceOptions options, ILogger logger)
    {
        lock (UnknownMethodEndpointMapped)
        {
            if (UnknownMethodEndpointMapped.TryGetValue(endpoints, out _)) return;
            UnknownMethodEndpointMapped.Add(endpoints, new object());
        }
        var unknown = new UnimplementedServerCallHandler(new GrpcMethodEndpoint("unknown", "unknown", options, logger));
        // Literal routes of bound methods take precedence over these parameters; non-gRPC requests still get 404.
        endpoints.MapPost("/{unknownService}/{unknownMethod}", (HttpContext http) =>
        {
            if (GrpcProtocol.IsGrpcContentType(http.Request.ContentType)) return unknown.HandleCallAsync(http);
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }).WithDisplayName("gRPC unimplemented method");
    }
}

/// <summary>Binds handlers to the methods of one proto service, checking each against the service definition.</summary>
public sealed class GrpcServiceBinder
{
    private readonly GrpcServiceOptions _options;
    private readonly ILogger _logger;

    internal GrpcServiceBinder(ServiceDescriptor service, GrpcServiceOptions options, ILogger logger)
    {
        Service = service;
        _options = options;
        _logger = logger;
    }

    public ServiceDescriptor Service { get; }

    internal Dictionary<string, GrpcServerCallHandler> Handlers { get; } = new(StringComparer.Ordinal);

    public GrpcServiceBinder MapUnary<TRequest, TResponse>(string methodName, UnaryServerMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        ArgumentNullException.ThrowIfNull(handler);
        var method = Describe<TRequest, TResponse>(methodName, MethodType.Unary);
        return Add(methodName, new UnaryServerCallHandler<TRequest, TResponse>(Endpoint(methodName), method, handler));
    }

    public GrpcServiceBinder MapServerStreaming<TRequest, TResponse>(string methodName, ServerStreamingServerMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        ArgumentNullException.ThrowIfNull(handler);
        var method = Describe<TRequest, TResponse>(methodName, MethodType.ServerStreaming);
        return Add(methodName, new ServerStreamingServerCallHandler<TRequest, TResponse>(Endpoint(methodName), method, handler));
    }

    private Method<TRequest, TResponse> Describe<TRequest, TResponse>(string methodName, MethodType expected)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        var descriptor = Service.FindMethodByName(methodName)
            ?? throw new InvalidOperationException($"Service {Service.FullName} declares no rpc '{methodName}'.");
        var method = Method.FromDescriptor<TRequest, TResponse>(descriptor);
        if (method.Type != expected)
            throw new InvalidOperationException($"rpc {Service.FullName}.{methodName} is {method.Type}; it cannot be bound as {expected}.");
        return method;
    }

    private GrpcMethodEndpoint Endpoint(string methodName) => new(Service.FullName, methodName, _options, _logger);

    private GrpcServiceBinder Add(string methodName, GrpcServerCallHandler handler)
    {
        if (!Handlers.TryAdd(methodName, handler))
            throw new InvalidOperationException($"rpc {Service.FullName}.{methodName} is bound twice.");
        return this;
    }
}
