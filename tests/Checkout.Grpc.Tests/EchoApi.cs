using System.Diagnostics;
using Checkout.Grpc.Tests.Echo;
using Checkout.ServiceDefaults.Correlation;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Checkout.Grpc.Tests;

/// <summary>The test echo service as our services implement theirs: a class on the generated base, mapped with MapGrpcService.</summary>
public sealed class EchoApi(EchoCallLog calls, IServiceProvider services) : EchoService.EchoServiceBase
{
    /// <summary>Part of every Throw exception's message: it must never reach a client.</summary>
    public const string Secret = "secret detail at /srv/checkout/db";

    public override Task<EchoReply> Echo(EchoRequest request, ServerCallContext context)
    {
        Receive(request, context);
        return Task.FromResult(Reply(request, context));
    }

    public override Task<EchoReply> Fail(EchoRequest request, ServerCallContext context)
    {
        Receive(request, context);
        throw new RpcException(new Status((StatusCode)request.StatusCode, request.Message), FailureTrailers());
    }

    public override Task<EchoReply> Throw(EchoRequest request, ServerCallContext context)
    {
        Receive(request, context);
        throw new InvalidOperationException($"{Secret} ({request.Message})");
    }

    public override async Task<EchoReply> LoseDatabase(EchoRequest request, ServerCallContext context)
    {
        Receive(request, context);
        await ConnectToClosedDatabaseAsync(context.CancellationToken);
        return Reply(request, context);
    }

    public override async Task LoseDatabaseServerStreaming(EchoRequest request, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        Receive(request, context);
        await responseStream.WriteAsync(Reply(request, context), context.CancellationToken);
        await ConnectToClosedDatabaseAsync(context.CancellationToken);
    }

    public override async Task<EchoReply> LoseDatabaseClientStreaming(IAsyncStreamReader<EchoRequest> requestStream, ServerCallContext context)
    {
        var request = await FirstAsync(requestStream, context);
        await ConnectToClosedDatabaseAsync(context.CancellationToken);
        return Reply(request, context);
    }

    public override async Task LoseDatabaseDuplexStreaming(IAsyncStreamReader<EchoRequest> requestStream, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        var request = await FirstAsync(requestStream, context);
        await responseStream.WriteAsync(Reply(request, context), context.CancellationToken);
        await ConnectToClosedDatabaseAsync(context.CancellationToken);
    }

    public override async Task<EchoReply> Wait(EchoRequest request, ServerCallContext context)
    {
        Receive(request, context);
        try
        {
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            calls.CancellationObserved(request.Message);
            throw;
        }

        throw new InvalidOperationException("An infinite wait ended.");
    }

    public override async Task<EchoReply> Metadata(EchoRequest request, ServerCallContext context)
    {
        Receive(request, context);
        var headers = new Metadata();
        foreach (var entry in context.RequestHeaders.Where(entry => entry.Key.StartsWith("x-", StringComparison.Ordinal)))
        {
            if (entry.IsBinary)
            {
                headers.Add("x-header-" + entry.Key, entry.ValueBytes);
                context.ResponseTrailers.Add("x-trailer-" + entry.Key, entry.ValueBytes);
            }
            else
            {
                headers.Add("x-header-" + entry.Key, entry.Value);
                context.ResponseTrailers.Add("x-trailer-" + entry.Key, entry.Value);
            }
        }

        await context.WriteResponseHeadersAsync(headers);
        return Reply(request, context);
    }

    public override async Task Count(EchoRequest request, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        Receive(request, context);
        for (var i = 0; i < request.Count; i++)
            await responseStream.WriteAsync(new EchoReply { Message = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }, context.CancellationToken);
        if (request.StatusCode != 0)
            throw new RpcException(new Status((StatusCode)request.StatusCode, request.Message));
    }

    public override async Task<EchoReply> Flaky(EchoRequest request, ServerCallContext context)
    {
        var call = Receive(request, context);
        if (call > request.Count)
            return Reply(request, context);
        if (request.DelayMs > 0)
            await Task.Delay(request.DelayMs, context.CancellationToken);
        if (request.AfterHeaders)
            await context.WriteResponseHeadersAsync([]);
        throw new RpcException(new Status((StatusCode)request.StatusCode, $"call {call} fails on purpose"));
    }

    /// <summary>
    /// Calls the downstream echo service with the client that AddGrpcServiceClient registered, passing nothing of this
    /// call by hand: its deadline, cancellation and correlation id must travel on their own.
    /// </summary>
    public override async Task<EchoReply> Relay(EchoRequest request, ServerCallContext context)
    {
        Receive(request, context);
        return await Downstream().EchoAsync(request);
    }

    public override async Task<EchoReply> RelayWait(EchoRequest request, ServerCallContext context)
    {
        Receive(request, context);
        return await Downstream().WaitAsync(request);
    }

    private EchoService.EchoServiceClient Downstream() => services.GetRequiredService<EchoService.EchoServiceClient>();

    /// <summary>A real outage, as Npgsql reports it: the database's port refuses the connection.</summary>
    private static async Task ConnectToClosedDatabaseAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={LoopbackPorts.Closed()};Username=checkout;Pooling=false;Timeout=5");
        await connection.OpenAsync(cancellationToken);
        throw new InvalidOperationException("A closed port accepted a PostgreSQL connection.");
    }

    private async Task<EchoRequest> FirstAsync(IAsyncStreamReader<EchoRequest> requestStream, ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "send at least one request"));
        Receive(requestStream.Current, context);
        return requestStream.Current;
    }

    private int Receive(EchoRequest request, ServerCallContext context) =>
        calls.Received(request.Message, Activity.Current?.TraceId.ToHexString(), context.GetHttpContext().Request.Headers["grpc-timeout"].ToString());

    private static EchoReply Reply(EchoRequest request, ServerCallContext context)
    {
        // grpc-timeout and grpc-encoding are protocol headers, which Grpc.AspNetCore keeps out of RequestHeaders.
        var http = context.GetHttpContext();
        return new EchoReply
        {
            Message = request.Message,
            PayloadLength = request.Payload.Length,
            GrpcTimeout = http.Request.Headers["grpc-timeout"].ToString(),
            CorrelationId = context.RequestHeaders.GetValue(CorrelationId.MetadataKey) ?? "",
            GrpcEncoding = http.Request.Headers["grpc-encoding"].ToString(),
            ConnectionId = http.Connection.Id,
        };
    }

    internal static Metadata FailureTrailers() => new()
    {
        { "x-failure", "failed on purpose" },
        { "x-failure-bin", [0, 1, 2, 255] },
    };
}
