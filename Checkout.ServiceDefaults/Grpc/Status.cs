// Stands in for Grpc.Core.Api (used by Grpc.AspNetCore.Server and Grpc.Net.Client), which this machine's NuGet
// source does not hold. Follows Grpc.Core's public names (StatusCode, Status, RpcException) in our namespace.
namespace Checkout.ServiceDefaults.Grpc;

/// <summary>gRPC status codes (grpc/grpc doc/statuscodes.md).</summary>
public enum StatusCode
{
    OK = 0,
    Cancelled = 1,
    Unknown = 2,
    InvalidArgument = 3,
    DeadlineExceeded = 4,
    NotFound = 5,
    AlreadyExists = 6,
    PermissionDenied = 7,
    ResourceExhausted = 8,
    FailedPrecondition = 9,
    Aborted = 10,
    OutOfRange = 11,
    Unimplemented = 12,
    Internal = 13,
    Unavailable = 14,
    DataLoss = 15,
    Unauthenticated = 16,
}

/// <summary>The outcome of a call: a code and a human-readable detail (sent as grpc-message).</summary>
public readonly struct Status(StatusCode statusCode, string detail, Exception? debugException = null)
{
    public static readonly Status DefaultSuccess = new(StatusCode.OK, "");

    public StatusCode StatusCode { get; } = statusCode;

    public string Detail { get; } = detail ?? "";

    /// <summary>Local diagnostics only (for example the connection error behind UNAVAILABLE); never sent to a peer.</summary>
    public Exception? DebugException { get; } = debugException;

    public override string ToString() => DebugException is null
        ? $"Status(StatusCode=\"{StatusCode}\", Detail=\"{Detail}\")"
        : $"Status(StatusCode=\"{StatusCode}\", Detail=\"{Detail}\", DebugException=\"{DebugException.GetType()}: {DebugException.Message}\")";
}

/// <summary>
/// A call that ended with a non-OK status. Server handlers throw it to fail with a chosen status and trailers;
/// the client throws it with the status and trailers the server sent.
/// </summary>
public sealed class RpcException(Status status, Metadata trailers, string? message = null)
    : Exception(message ?? status.ToString(), status.DebugException)
{
    public RpcException(Status status) : this(status, Metadata.Empty) { }

    public Status Status { get; } = status;

    public StatusCode StatusCode => Status.StatusCode;

    public Metadata Trailers { get; } = trailers;
}
