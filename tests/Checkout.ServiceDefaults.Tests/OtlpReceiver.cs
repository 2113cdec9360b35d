using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Checkout.ServiceDefaults.Tests;

/// <summary>
/// A minimal OTLP/HTTP collector: accepts application/x-protobuf exports, counts the requests of each signal, and
/// decodes just enough of ExportTraceServiceRequest (by field number, per opentelemetry/proto/trace/v1/trace.proto)
/// to check spans. Started with another status code (503), it refuses every export, as a collector that is down.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    public const string TracesPath = "/v1/traces";
    public const string MetricsPath = "/v1/metrics";
    public const string LogsPath = "/v1/logs";

    private readonly ConcurrentQueue<ExportedSpan> _spans = new();
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);
    private readonly int _statusCode;

    private OtlpReceiver(int statusCode) => _statusCode = statusCode;

    public RunningApp App { get; private set; } = null!;

    /// <summary>The spans of the trace exports it accepted.</summary>
    public IReadOnlyList<ExportedSpan> Spans => [.. _spans];

    /// <summary>How many export requests reached <paramref name="path"/> (accepted or refused).</summary>
    public int RequestsTo(string path) => _requests.GetValueOrDefault(path);

    public static async Task<OtlpReceiver> StartAsync(int statusCode = StatusCodes.Status200OK)
    {
        var receiver = new OtlpReceiver(statusCode);
        receiver.App = await RunningApp.StartAsync(_ => { }, app =>
        {
            app.MapPost(TracesPath, receiver.ReceiveAsync);
            app.MapPost(MetricsPath, receiver.ReceiveAsync);
            app.MapPost(LogsPath, receiver.ReceiveAsync);
        });
        return receiver;
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();

    private async Task ReceiveAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var path = context.Request.Path.Value!;
        _requests.AddOrUpdate(path, 1, (_, count) => count + 1);
        context.Response.StatusCode = _statusCode;
        if (_statusCode != StatusCodes.Status200OK)
        {
            return;
        }

        if (path == TracesPath)
        {
            foreach (var span in DecodeExportTraceServiceRequest(body.ToArray()))
            {
                _spans.Enqueue(span);
            }
        }

        context.Response.ContentType = "application/x-protobuf";
    }

    private static IEnumerable<ExportedSpan> DecodeExportTraceServiceRequest(byte[] request)
    {
        foreach (var resourceSpans in Fields(request, 1))
        {
            var resource = Fields(resourceSpans, 1).Select(r => Attributes(r, 1)).FirstOrDefault() ?? [];
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                foreach (var span in Fields(scopeSpans, 2))
                {
                    yield return new ExportedSpan(
                        resource,
                        Convert.ToHexStringLower(Fields(span, 1).Single()),
                        Fields(span, 5).Select(name => System.Text.Encoding.UTF8.GetString(name)).Single(),
                        Attributes(span, 9));
                }
            }
        }
    }

    /// <summary>KeyValue { string key = 1; AnyValue value = 2 } with AnyValue { string string_value = 1; ... }.</summary>
    private static Dictionary<string, string> Attributes(byte[] message, int fieldNumber) =>
        Fields(message, fieldNumber).ToDictionary(
            keyValue => System.Text.Encoding.UTF8.GetString(Fields(keyValue, 1).Single()),
            keyValue => Fields(keyValue, 2).SelectMany(value => Fields(value, 1)).Select(text => System.Text.Encoding.UTF8.GetString(text)).FirstOrDefault() ?? "");

    /// <summary>The payloads of every length-delimited occurrence of one field of a message.</summary>
    private static List<byte[]> Fields(byte[] message, int fieldNumber)
    {
        var found = new List<byte[]>();
        var input = new CodedInputStream(message);
        for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            if (WireFormat.GetTagFieldNumber(tag) == fieldNumber && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                found.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return found;
    }
}

internal sealed record ExportedSpan(
    IReadOnlyDictionary<string, string> Resource, string TraceId, string Name, IReadOnlyDictionary<string, string> Attributes);
