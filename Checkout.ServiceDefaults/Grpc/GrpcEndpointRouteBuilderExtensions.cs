// Stands in for Grpc.AspNetCore.Server's AddGrpc/MapGrpcService (not available here). Services are described by
// the proto service definitions (protoc's descriptors, generated even with GrpcServices="None") instead of
// generated base classes; handlers are bound per method and checked against the descriptor at start-up.
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Checkout.ServiceDefaults.Grpc;

public static class GrpcServiceCollectionExtensions
{
    /// <summary>Registers the gRPC server's options (message size limits).</summary>
    public static IServiceCollection AddGrpc(this IServiceCollection services, Action<GrpcServiceOptions>? configure = null)
    {
        var options = services.AddOptions<GrpcServiceOptions>();
        if (configure is not null) options.Configure(configure);
        services.TryAddEnumerable(Microsoft.Extensions.DependencyInjection.ServiceDescriptor.Singleton<IStartupFilter, UnimplementedMethodStartupFilter>());
        return services;
    }
}

public static class GrpcEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Serves the proto service <paramref name="service"/>: <paramref name="bind"/> binds a handler to each method
    /// (names and message types checked now); methods left unbound answer UNIMPLEMENTED.
    /// </summary>
    public static IEndpointConventionBuilder MapGrpcService(this IEndpointRouteBuilder endpoints, Google.Protobuf.Reflection.ServiceDescriptor service, Action<GrpcServiceBinder> bind)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(bind);
        var options = endpoints.ServiceProvider.GetService<IOptions<GrpcServiceOptions>>()?.Value
            ?? throw new InvalidOperationException("MapGrpcService needs services.AddGrpc() at start-up.");
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
        return group;
    }
}

/// <summary>Binds handlers to the methods of one proto service, checking each against the service definition.</summary>
public sealed class GrpcServiceBinder
{
    private readonly GrpcServiceOptions _options;
    private readonly ILogger _logger;

    internal GrpcServiceBinder(Google.Protobuf.Reflection.ServiceDescriptor service, GrpcServiceOptions options, ILogger logger)
    {
        Service = service;
        _options = options;
        _logger = logger;
    }

    public Google.Protobuf.Reflection.ServiceDescriptor Service { get; }

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

/// <summary>
/// Answers UNIMPLEMENTED to a gRPC call that no endpoint matched (an unknown service or method), instead of 404.
/// A middleware that looks after routing rather than a catch-all route: a route such as "/{service}/{method}" would
/// be a second candidate of every gRPC call and cost route-value captures on each; this costs one check.
/// </summary>
internal sealed class UnimplementedMethodStartupFilter(IOptions<GrpcServiceOptions> options, ILoggerFactory loggerFactory) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var unknown = new UnimplementedServerCallHandler(new GrpcMethodEndpoint("unknown", "unknown", options.Value,
            loggerFactory.CreateLogger("Checkout.ServiceDefaults.Grpc.GrpcServer")));
        app.Use(next => context =>
        {
            var pipeline = next(context);
            return pipeline.IsCompletedSuccessfully
                ? IsUnmatchedGrpcCall(context) ? unknown.HandleCallAsync(context) : Task.CompletedTask
                : AnswerAfterAsync(pipeline, context, unknown);
        });
        next(app);
    };

    private static async Task AnswerAfterAsync(Task pipeline, HttpContext context, UnimplementedServerCallHandler unknown)
    {
        await pipeline;
        if (IsUnmatchedGrpcCall(context)) await unknown.HandleCallAsync(context);
    }

    private static bool IsUnmatchedGrpcCall(HttpContext context) =>
        context.Response.StatusCode == StatusCodes.Status404NotFound && !context.Response.HasStarted
        && context.GetEndpoint() is null && HttpMethods.IsPost(context.Request.Method)
        && GrpcProtocol.IsGrpcContentType(context.Request.ContentType);
}
