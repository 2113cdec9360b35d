using System.Net;
using Checkout.Grpc.Tests.Echo;
using Checkout.ServiceDefaults.Grpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Checkout.Grpc.Tests;

/// <summary>GrpcServiceOptions.ExceptionStatusMappings: what a handler lets escape, as the client sees it, over real h2c.</summary>
public sealed class ExceptionStatusMappingTests : IAsyncLifetime
{
    private const string Secret = "secret detail at /srv/db";

    private readonly CapturingLoggerProvider _logs = new();
    private WebApplication _app = null!;
    private GrpcClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders().AddProvider(_logs).SetMinimumLevel(LogLevel.Information);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenGrpc(new IPEndPoint(IPAddress.Loopback, 0)));
        builder.Services.AddGrpc(options =>
        {
            // The first mapping would claim every exception: it must never see a handler's own RpcException.
            options.ExceptionStatusMappings.Add(exception => exception is RpcException ? new Status(StatusCode.Aborted, "mapped an RpcException") : null);
            options.ExceptionStatusMappings.Add(exception => exception is TimeoutException ? new Status(StatusCode.Unavailable, "the store is unavailable; try again") : null);
        });
        _app = builder.Build();
        _app.MapGrpcService(EchoServerFixture.EchoService, service => service
            .MapUnary<EchoRequest, EchoReply>("Throw", (request, _) => request.Message switch
            {
                "mapped" => throw new TimeoutException(Secret),
                "own-status" => throw new RpcException(new Status(StatusCode.FailedPrecondition, "the handler's own status")),
                _ => throw new InvalidOperationException(Secret),
            }));
        _client = GrpcClient.Create(await _app.StartOnFreePortAsync(TestContext.Current.CancellationToken));
    }

    private Task<RpcException> CallAsync(string message) => Assert.ThrowsAsync<RpcException>(() =>
        _client.UnaryAsync(EchoMethods.Throw, new EchoRequest { Message = message }, new CallOptions(cancellationToken: TestContext.Current.CancellationToken)));

    private List<LogEntry> HandlerLogs() => _logs.Entries.Where(entry => entry.Exception is not null && entry.Message.Contains("/Throw")).ToList();

    [Fact]
    public async Task A_mapped_exception_ends_the_call_with_its_status_and_is_logged_once_with_the_trace_id()
    {
        var exception = await CallAsync("mapped");

        Assert.Equal(StatusCode.Unavailable, exception.StatusCode);
        Assert.Equal("the store is unavailable; try again", exception.Status.Detail);
        var logged = Assert.Single(HandlerLogs());
        Assert.Equal(LogLevel.Warning, logged.Level);
        Assert.IsType<TimeoutException>(logged.Exception);
        Assert.Contains("Unavailable", logged.Message);
        Assert.Matches("Trace [0-9a-f]{32}", logged.Message);
    }

    [Fact]
    public async Task An_unmapped_exception_is_UNKNOWN_with_the_generic_message_and_no_detail()
    {
        var exception = await CallAsync("anything else");

        Assert.Equal(StatusCode.Unknown, exception.StatusCode);
        Assert.Equal("Exception was thrown by handler.", exception.Status.Detail);
        var logged = Assert.Single(HandlerLogs());
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.IsType<InvalidOperationException>(logged.Exception);
    }

    [Fact]
    public async Task A_handlers_own_RpcException_is_never_mapped()
    {
        var exception = await CallAsync("own-status");

        Assert.Equal(StatusCode.FailedPrecondition, exception.StatusCode);
        Assert.Equal("the handler's own status", exception.Status.Detail);
        Assert.Empty(HandlerLogs());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
