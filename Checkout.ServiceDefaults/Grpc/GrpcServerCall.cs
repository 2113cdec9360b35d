using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Checkout.ServiceDefaults.Grpc;

/// <summary>
/// One call on the server: reads length-prefixed messages from the request body, writes them to the response
/// body, and ends the call with grpc-status/grpc-message in the trailers, or in the headers alone
/// ("trailers-only") when nothing was sent yet.
/// </summary>
internal sealed partial class GrpcServerCall : ServerCallContext, IDisposable
{
    private static readonly StringValues StatusOk = "0";
    private static readonly StringValues GrpcContentType = GrpcProtocol.ContentType;

    private readonly HttpContext _http;
    private readonly GrpcMethodEndpoint _endpoint;
    private readonly CancellationTokenSource? _deadlineSource;
    private readonly DateTime _deadline = DateTime.MaxValue;
    private Metadata? _requestHeaders;
    private Metadata? _responseTrailers;
    // Kestrel buffers body writes without starting the response, so HasStarted alone cannot tell trailers-only apart.
    private bool _messageWritten;

    private GrpcServerCall(HttpContext http, GrpcMethodEndpoint endpoint)
    {
        _http = http;
        _endpoint = endpoint;
        var timeoutHeader = http.Request.Headers.GrpcTimeout;
        if (timeoutHeader.Count == 1 && GrpcProtocol.TryParseTimeout(timeoutHeader[0], out var timeout))
        {
            _deadline = DateTime.UtcNow + timeout;
            _deadlineSource = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
            _deadlineSource.CancelAfter(timeout);
        }
    }

    public override string Method => _endpoint.FullName;
    public override string Host => _http.Request.Host.Value ?? "";
    public override string Peer => _http.Connection.RemoteIpAddress switch
    {
        null => "unknown",
        { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ip => $"ipv6:[{ip}]:{_http.Connection.RemotePort}",
        var ip => $"ipv4:{ip}:{_http.Connection.RemotePort}",
    };
    public override DateTime Deadline => _deadline;
    public override CancellationToken CancellationToken => _deadlineSource?.Token ?? _http.RequestAborted;
    public override HttpContext GetHttpContext() => _http;

    public override Metadata RequestHeaders
    {
        get
        {
            if (_requestHeaders is null)
            {
                var metadata = new Metadata();
                foreach (var header in _http.Request.Headers)
                {
                    foreach (var value in header.Value) GrpcProtocol.AddHeader(metadata, header.Key, value ?? "");
                }
                _requestHeaders = metadata;
            }
            return _requestHeaders;
        }
    }

    public override Metadata ResponseTrailers => _responseTrailers ??= new Metadata();

    // Reads need no token without a deadline: Kestrel fails a pending read itself when the client resets the stream,
    // and not touching RequestAborted spares Kestrel creating its CancellationTokenSource on every call.
    public CancellationToken ReadToken => _deadlineSource?.Token ?? default;

    private bool DeadlineExceeded => _deadlineSource is { IsCancellationRequested: true } && !_http.RequestAborted.IsCancellationRequested;

    public override Task WriteResponseHeadersAsync(Metadata responseHeaders)
    {
        if (_http.Response.HasStarted) throw new InvalidOperationException("Response headers can only be sent once per call.");
        AddMetadata(_http.Response.Headers, responseHeaders);
        return _http.Response.StartAsync(CancellationToken);
    }

    /// <summary>Checks the request is a gRPC call we serve; otherwise answers it (415, 426) and returns null.</summary>
    public static GrpcServerCall? TryStart(HttpContext http, GrpcMethodEndpoint endpoint)
    {
        var request = http.Request;
        var response = http.Response;
        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            SetStatusHeaders(response.Headers, StatusCode.Internal, $"Content-Type '{request.ContentType}' is not supported.");
            return null;
        }
        if (!HttpProtocol.IsHttp2(request.Protocol) && !HttpProtocol.IsHttp3(request.Protocol))
        {
            // gRPC needs trailers and full-duplex streams: HTTP/1.1 cannot carry them.
            response.StatusCode = StatusCodes.Status426UpgradeRequired;
            response.Headers.Upgrade = "h2c";
            SetStatusHeaders(response.Headers, StatusCode.Internal, $"Request protocol '{request.Protocol}' is not supported: gRPC needs HTTP/2.");
            return null;
        }
        // A call no endpoint matched arrives here from the unimplemented-method middleware with the pipeline's 404.
        if (response.StatusCode != StatusCodes.Status200OK) response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcContentType;
        return new GrpcServerCall(http, endpoint);
    }

    public PipeReader RequestBody => _http.Request.BodyReader;

    /// <summary>Reads the single request message of a unary or server-streaming call, up to the end of the request stream.</summary>
    public async ValueTask<T> ReadSingleMessageAsync<T>(Marshaller<T> marshaller) where T : class
    {
        T? message = null;
        while (!ConsumeRequest(await RequestBody.ReadAsync(ReadToken), marshaller, ref message)) { }
        return message!;
    }

    /// <summary>
    /// Consumes one read of the request body: true once the single message is parsed and the stream has ended;
    /// false when more must be read; an RpcException for a malformed, oversized or extra message. Not async, so a
    /// unary call reads with no async frame of its own.
    /// </summary>
    public bool ConsumeRequest<T>(in ReadResult result, Marshaller<T> marshaller, ref T? message) where T : class
    {
        var reader = RequestBody;
        var buffer = result.Buffer;
        Status? error;
        if (message is null)
        {
            if (TryParseMessage(buffer, marshaller, out var parsed, out error))
            {
                message = parsed;
                reader.AdvanceTo(buffer.End);
                return result.IsCompleted;
            }
            if (error is null && result.IsCompleted)
                error = new Status(StatusCode.Internal, buffer.IsEmpty ? "The request has no message." : "Incomplete message: the request ended inside a message.");
        }
        else
        {
            // The message is in: only the end of the stream may follow.
            error = buffer.IsEmpty ? null : new Status(StatusCode.Internal, "Additional data after the request message: a unary request carries exactly one message.");
        }
        if (error is { } status)
        {
            reader.AdvanceTo(buffer.End);
            throw new RpcException(status);
        }
        reader.AdvanceTo(buffer.Start, buffer.End);
        return message is not null && result.IsCompleted;
    }

    private bool TryParseMessage<T>(in ReadOnlySequence<byte> buffer, Marshaller<T> marshaller, out T message, out Status? error)
    {
        message = default!;
        error = null;
        if (buffer.Length < GrpcProtocol.HeaderSize) return false;
        Span<byte> header = stackalloc byte[GrpcProtocol.HeaderSize];
        buffer.Slice(0, GrpcProtocol.HeaderSize).CopyTo(header);
        if (header[0] > 1)
        {
            error = new Status(StatusCode.Internal, "Invalid compressed-flag in the message header.");
            return false;
        }
        if (header[0] == 1)
        {
            // We implement no compression; the spec's answer is UNIMPLEMENTED, advertising what we accept.
            _http.Response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.IdentityEncoding;
            error = new Status(StatusCode.Unimplemented,
                $"Compressed messages are not supported (grpc-encoding '{_http.Request.Headers[GrpcProtocol.EncodingHeader]}'); send identity.");
            return false;
        }
        var length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (length > (uint)_endpoint.Options.MaxReceiveMessageSize)
        {
            error = new Status(StatusCode.ResourceExhausted,
                $"Received message exceeds the maximum configured message size ({length} > {_endpoint.Options.MaxReceiveMessageSize} bytes).");
            return false;
        }
        var frameLength = GrpcProtocol.HeaderSize + (long)length;
        if (buffer.Length < frameLength) return false;
        if (buffer.Length > frameLength)
        {
            error = new Status(StatusCode.Internal, "Additional data after the request message: a unary request carries exactly one message.");
            return false;
        }
        try
        {
            message = marshaller.Deserializer(buffer.Slice(GrpcProtocol.HeaderSize));
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            error = new Status(StatusCode.InvalidArgument, "The request message could not be deserialized.");
            return false;
        }
    }

    /// <summary>Frames a message into the response body; it goes out at the next flush or when the call ends.</summary>
    public void WriteMessage<T>(T message, Marshaller<T> marshaller)
    {
        if (DeadlineExceeded) throw new OperationCanceledException(CancellationToken);
        var size = marshaller.CalculateSize(message);
        if (size > _endpoint.Options.MaxSendMessageSize)
            GrpcProtocol.ThrowMessageTooLarge(size, _endpoint.Options.MaxSendMessageSize, "Sending");
        var writer = _http.Response.BodyWriter;
        GrpcProtocol.WriteFrameHeader(writer.GetSpan(GrpcProtocol.HeaderSize), size);
        writer.Advance(GrpcProtocol.HeaderSize);
        marshaller.Serializer(message, writer);
        _messageWritten = true;
    }

    public ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken) => _http.Response.BodyWriter.FlushAsync(cancellationToken);

    public void CompleteOk()
    {
        if (_messageWritten && _responseTrailers is null)
        {
            // The fast path: one known trailer, no allocation.
            _http.Features.GetRequiredFeature<IHttpResponseTrailersFeature>().Trailers.GrpcStatus = StatusOk;
            return;
        }
        Complete(Status.DefaultSuccess, _responseTrailers);
    }

    /// <summary>Ends the call with the status an exception stands for; returns that status.</summary>
    public StatusCode Fail(Exception exception)
    {
        Status status;
        Metadata? trailers = _responseTrailers;
        switch (exception)
        {
            case RpcException rpc:
                status = rpc.Status;
                if (rpc.Trailers.Count > 0)
                {
                    trailers ??= new Metadata();
                    foreach (var entry in rpc.Trailers) trailers.Add(entry);
                }
                break;
            case OperationCanceledException when DeadlineExceeded:
                status = new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded");
                break;
            case OperationCanceledException or IOException when _http.RequestAborted.IsCancellationRequested:
                // The client went away (RST_STREAM): there is nobody to answer.
                Log.CallCancelled(_endpoint.Logger, _endpoint.FullName);
                return StatusCode.Cancelled;
            default:
                // Never send exception details to a peer; the log line carries them with the trace id to find the call.
                var traceId = Activity.Current?.TraceId.ToString() ?? _http.TraceIdentifier;
                if (MappedStatus(exception) is { } mapped)
                {
                    Log.HandlerFailedMapped(_endpoint.Logger, exception, _endpoint.FullName, mapped.StatusCode, traceId);
                    status = mapped;
                }
                else
                {
                    Log.HandlerFailed(_endpoint.Logger, exception, _endpoint.FullName, traceId);
                    status = new Status(StatusCode.Unknown, "Exception was thrown by handler.");
                }
                break;
        }
        Complete(status, trailers);
        return status.StatusCode;
    }

    private Status? MappedStatus(Exception exception)
    {
        foreach (var mapping in _endpoint.Options.ExceptionStatusMappings)
        {
            if (mapping(exception) is { } status) return status;
        }
        return null;
    }

    private void Complete(in Status status, Metadata? trailers)
    {
        var response = _http.Response;
        // Trailers-only: nothing was sent yet, so the status travels in the one HEADERS frame that ends the stream.
        var target = _messageWritten || response.HasStarted ? _http.Features.GetRequiredFeature<IHttpResponseTrailersFeature>().Trailers : response.Headers;
        SetStatusHeaders(target, status.StatusCode, status.Detail);
        if (trailers is not null) AddMetadata(target, trailers);
    }

    private static void SetStatusHeaders(IHeaderDictionary target, StatusCode code, string detail)
    {
        target.GrpcStatus = code == StatusCode.OK ? StatusOk : ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (detail.Length > 0) target.GrpcMessage = GrpcProtocol.PercentEncode(detail);
    }

    private static void AddMetadata(IHeaderDictionary target, Metadata metadata)
    {
        foreach (var entry in metadata) target.Append(entry.Key, GrpcProtocol.EncodeValue(entry));
    }

    public void Dispose() => _deadlineSource?.Dispose();

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "gRPC method {Method} threw; the call ended with UNKNOWN. Trace {TraceId}.")]
        public static partial void HandlerFailed(ILogger logger, Exception exception, string method, string traceId);

        [LoggerMessage(3, LogLevel.Warning, "gRPC method {Method} threw; the call ended with {StatusCode} as configured for this exception. Trace {TraceId}.")]
        public static partial void HandlerFailedMapped(ILogger logger, Exception exception, string method, StatusCode statusCode, string traceId);

        [LoggerMessage(2, LogLevel.Debug, "gRPC call {Method} was cancelled by the client.")]
        public static partial void CallCancelled(ILogger logger, string method);
    }
}
