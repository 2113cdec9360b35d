// Stands in for Grpc.Net.Client (not available here): gRPC calls over HttpClient with HTTP/2, following its
// behaviour (deadline -> grpc-timeout + local cancellation, status and trailers as one RpcException).
using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;

namespace Checkout.ServiceDefaults.Grpc;

/// <summary>A unary call's response message with the metadata the server sent around it.</summary>
public sealed record UnaryResponse<TResponse>(TResponse Message, Metadata ResponseHeaders, Metadata Trailers);

/// <summary>
/// Makes gRPC calls over an <see cref="HttpClient"/> whose BaseAddress is the server (http:// = h2c with prior
/// knowledge, https:// = TLS). Thread-safe; share one per server. Create the HttpClient with
/// <see cref="CreateHttpHandler"/> or services.AddGrpcClient(...), so that it speaks HTTP/2 only.
/// </summary>
public sealed class GrpcClient
{
    private readonly HttpClient _httpClient;
    private readonly int _maxReceiveMessageSize;

    public GrpcClient(HttpClient httpClient, int maxReceiveMessageSize = GrpcProtocol.DefaultMaxReceiveMessageSize)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        if (httpClient.BaseAddress is null) throw new ArgumentException("The HttpClient needs a BaseAddress: the gRPC server's address.", nameof(httpClient));
        _httpClient = httpClient;
        _maxReceiveMessageSize = maxReceiveMessageSize;
    }

    /// <summary>A handler for gRPC: HTTP/2 with several connections when one's stream limit is reached.</summary>
    public static SocketsHttpHandler CreateHttpHandler() => new()
    {
        EnableMultipleHttp2Connections = true,
        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        KeepAlivePingDelay = TimeSpan.FromSeconds(60),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>Sets what every gRPC HttpClient needs: HTTP/2 exactly (h2c for http), and no HttpClient timeout (deadlines do that).</summary>
    public static void ConfigureHttpClient(HttpClient httpClient, Uri address)
    {
        httpClient.BaseAddress = address;
        httpClient.DefaultRequestVersion = HttpVersion.Version20;
        httpClient.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        httpClient.Timeout = Timeout.InfiniteTimeSpan;
    }

    public static GrpcClient Create(Uri address)
    {
        var httpClient = new HttpClient(CreateHttpHandler());
        ConfigureHttpClient(httpClient, address);
        return new GrpcClient(httpClient);
    }

    /// <summary>Calls a unary method; a non-OK status throws <see cref="RpcException"/> with the status detail and trailers.</summary>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        => (await CallAsync(method, request, options, captureMetadata: false)).Message;

    /// <summary>Like <see cref="UnaryAsync{TRequest,TResponse}"/>, also returning the response headers and trailers.</summary>
    public Task<UnaryResponse<TResponse>> UnaryCallAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        => CallAsync(method, request, options, captureMetadata: true);

    private async Task<UnaryResponse<TResponse>> CallAsync<TRequest, TResponse>(
        Method<TRequest, TResponse> method, TRequest request, CallOptions options, bool captureMetadata)
    {
        if (method.Type != MethodType.Unary) throw new ArgumentException($"{method.FullName} is {method.Type}, not Unary.", nameof(method));
        var activity = GrpcTelemetry.StartClient(method.ServiceName + "/" + method.Name, method.ServiceName, method.Name, _httpClient.BaseAddress);
        var code = StatusCode.Unknown;
        CancellationTokenSource? deadlineSource = null;
        try
        {
            var cancellationToken = options.CancellationToken;
            using var httpRequest = new HttpRequestMessage(HttpMethod.Post, method.RequestUri)
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = CreateContent(request, method.RequestMarshaller),
            };
            var headers = httpRequest.Headers;
            headers.TryAddWithoutValidation("te", "trailers");
            // DateTime.MaxValue is Grpc.Core's "no deadline" (ServerCallContext.Deadline of a call that has none).
            if (options.Deadline is { } deadline && deadline != DateTime.MaxValue)
            {
                var timeout = deadline.ToUniversalTime() - DateTime.UtcNow;
                if (timeout <= TimeSpan.Zero) throw new RpcException(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"));
                if (timeout > GrpcProtocol.MaxTimeout) (timeout, deadline) = (GrpcProtocol.MaxTimeout, DateTime.UtcNow + GrpcProtocol.MaxTimeout);
                headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcProtocol.FormatTimeout(timeout));
                httpRequest.Options.Set(GrpcDeadlineHandler.DeadlineOption, deadline.ToUniversalTime());
                deadlineSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                deadlineSource.CancelAfter(timeout);
                cancellationToken = deadlineSource.Token;
            }
            if (options.Headers is { } metadata)
            {
                foreach (var entry in metadata) headers.TryAddWithoutValidation(entry.Key, GrpcProtocol.EncodeValue(entry));
            }

            UnaryResponse<TResponse> result;
            try
            {
                // Cancelling this token aborts the HTTP/2 stream (RST_STREAM), so the server sees the cancellation.
                using var httpResponse = await _httpClient.SendAsync(httpRequest, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                result = await ReadResponseAsync(httpResponse, method.ResponseMarshaller, captureMetadata, cancellationToken);
            }
            catch (OperationCanceledException) when (deadlineSource is { IsCancellationRequested: true } && !options.CancellationToken.IsCancellationRequested)
            {
                throw new RpcException(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"));
            }
            catch (OperationCanceledException exception) when (options.CancellationToken.IsCancellationRequested)
            {
                throw new RpcException(new Status(StatusCode.Cancelled, "Call canceled by the client.", exception));
            }
            catch (Polly.ExecutionRejectedException exception)
            {
                // The resilience pipeline refused the attempt (circuit open): the server is known to be unavailable.
                throw new RpcException(new Status(StatusCode.Unavailable, "The call was not attempted: " + exception.Message, exception));
            }
            catch (HttpRequestException exception)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "Error starting gRPC call: " + exception.Message, exception));
            }
            catch (IOException exception)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "Error reading the gRPC response: " + exception.Message, exception));
            }
            code = StatusCode.OK;
            return result;
        }
        catch (RpcException exception)
        {
            code = exception.StatusCode;
            throw;
        }
        finally
        {
            deadlineSource?.Dispose();
            if (activity is not null) GrpcTelemetry.Stop(activity, code, isServer: false);
        }
    }

    private static ByteArrayContent CreateContent<T>(T message, Marshaller<T> marshaller)
    {
        // An array rather than a stream: the resilience handler may send the same content again on a retry.
        var size = marshaller.CalculateSize(message);
        var buffer = new byte[GrpcProtocol.HeaderSize + size];
        GrpcProtocol.WriteFrameHeader(buffer, size);
        var writer = new FixedBufferWriter(buffer, GrpcProtocol.HeaderSize);
        marshaller.Serializer(message, writer);
        var content = new ByteArrayContent(buffer);
        content.Headers.TryAddWithoutValidation("Content-Type", GrpcProtocol.ContentType);
        return content;
    }

    private async Task<UnaryResponse<T>> ReadResponseAsync<T>(HttpResponseMessage response, Marshaller<T> marshaller, bool captureMetadata, CancellationToken cancellationToken)
    {
        // Trailers-only (an error before any message): grpc-status comes in the headers.
        if (TryGetStatus(response.Headers, out var headerStatus))
        {
            if (headerStatus.StatusCode == StatusCode.OK)
                throw new RpcException(new Status(StatusCode.Internal, "The server ended a unary call with OK but without a message."));
            throw new RpcException(headerStatus, ToMetadata(response.Headers));
        }
        if (response.StatusCode != HttpStatusCode.OK)
            throw new RpcException(new Status(FromHttpStatus(response.StatusCode), $"Bad gRPC response. HTTP status code: {(int)response.StatusCode}."));
        if (!GrpcProtocol.IsGrpcContentType(response.Content.Headers.ContentType?.MediaType))
            throw new RpcException(new Status(StatusCode.Internal, $"Bad gRPC response. Invalid content-type value: {response.Content.Headers.ContentType}."));

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var header = new byte[GrpcProtocol.HeaderSize];
        var hasMessage = await ReadExactlyOrEndAsync(stream, header, cancellationToken);
        T message = default!;
        if (hasMessage)
        {
            if (header[0] != 0) throw new RpcException(new Status(StatusCode.Internal, "The response message is compressed; this client asked for none."));
            var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
            if (length > (uint)_maxReceiveMessageSize)
                throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Received message exceeds the maximum configured message size ({length} > {_maxReceiveMessageSize} bytes)."));
            var body = ArrayPool<byte>.Shared.Rent((int)length);
            try
            {
                if (length > 0 && !await ReadExactlyOrEndAsync(stream, body.AsMemory(0, (int)length), cancellationToken))
                    throw new RpcException(new Status(StatusCode.Internal, "Incomplete message: the response ended inside a message."));
                try
                {
                    message = marshaller.Deserializer(new ReadOnlySequence<byte>(body, 0, (int)length));
                }
                catch (Exception exception)
                {
                    throw new RpcException(new Status(StatusCode.Internal, "Failed to deserialize the response message.", exception));
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(body);
            }
            // Reading to the end is what makes HttpClient receive the trailers.
            if (await stream.ReadAsync(header.AsMemory(0, 1), cancellationToken) != 0)
                throw new RpcException(new Status(StatusCode.Internal, "The server sent more than one message for a unary call."));
        }

        var trailers = response.TrailingHeaders;
        if (!TryGetStatus(trailers, out var status))
            throw new RpcException(new Status(StatusCode.Internal, "No grpc-status found on response."));
        if (status.StatusCode != StatusCode.OK) throw new RpcException(status, ToMetadata(trailers));
        if (!hasMessage) throw new RpcException(new Status(StatusCode.Internal, "The server ended a unary call with OK but without a message."));
        return captureMetadata
            ? new UnaryResponse<T>(message, ToMetadata(response.Headers), ToMetadata(trailers))
            : new UnaryResponse<T>(message, Metadata.Empty, Metadata.Empty);
    }

    /// <summary>Fills <paramref name="buffer"/>; false if the stream ended before its first byte, an error if it ended inside it.</summary>
    private static async ValueTask<bool> ReadExactlyOrEndAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[read..], cancellationToken);
            if (n == 0)
            {
                if (read == 0) return false;
                throw new RpcException(new Status(StatusCode.Internal, "Incomplete message: the response ended inside a message."));
            }
            read += n;
        }
        return true;
    }

    private static bool TryGetStatus(HttpHeaders headers, out Status status)
    {
        status = default;
        if (!headers.NonValidated.TryGetValues(GrpcProtocol.StatusHeader, out var values)) return false;
        var text = values.ToString();
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code))
        {
            status = new Status(StatusCode.Unknown, $"Unexpected grpc-status value '{text}'.");
            return true;
        }
        var detail = headers.NonValidated.TryGetValues(GrpcProtocol.MessageHeader, out var message) ? GrpcProtocol.PercentDecode(message.ToString()) : "";
        status = new Status((StatusCode)code, detail);
        return true;
    }

    private static Metadata ToMetadata(HttpHeaders headers)
    {
        var metadata = new Metadata();
        foreach (var header in headers.NonValidated)
        {
            foreach (var value in header.Value) GrpcProtocol.AddHeader(metadata, header.Key, value);
        }
        return metadata;
    }

    /// <summary>The spec's mapping for responses that are not gRPC (a proxy's error page, for example).</summary>
    private static StatusCode FromHttpStatus(HttpStatusCode status) => status switch
    {
        HttpStatusCode.BadRequest => StatusCode.Internal,
        HttpStatusCode.Unauthorized => StatusCode.Unauthenticated,
        HttpStatusCode.Forbidden => StatusCode.PermissionDenied,
        HttpStatusCode.NotFound => StatusCode.Unimplemented,
        HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };

    private sealed class FixedBufferWriter(byte[] buffer, int start) : IBufferWriter<byte>
    {
        private int _position = start;

        public void Advance(int count) => _position += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => buffer.AsMemory(_position);

        public Span<byte> GetSpan(int sizeHint = 0) => buffer.AsSpan(_position);
    }
}

/// <summary>
/// Rewrites grpc-timeout for each attempt to the time left until the call's deadline, so that a retried request
/// does not grant the server more time than the client will wait. AddGrpcClient puts it innermost.
/// </summary>
internal sealed class GrpcDeadlineHandler : DelegatingHandler
{
    public static readonly HttpRequestOptionsKey<DateTime> DeadlineOption = new("Checkout.Grpc.Deadline");

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Options.TryGetValue(DeadlineOption, out var deadline))
        {
            // Already past: the call's cancellation ends the attempt; the smallest timeout says the same to the server.
            var remaining = deadline - DateTime.UtcNow;
            request.Headers.Remove(GrpcProtocol.TimeoutHeader);
            request.Headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcProtocol.FormatTimeout(remaining));
        }
        return base.SendAsync(request, cancellationToken);
    }
}

