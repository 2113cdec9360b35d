using Grpc.Core;
using Npgsql;

namespace Checkout.ServiceDefaults.Postgres;

/// <summary>
/// Tells a database outage (the server down, restarting, out of connections, refusing them) from every other
/// database error, so that a gRPC call it breaks ends with UNAVAILABLE, which clients retry, rather than UNKNOWN.
/// Applied to every gRPC call by <see cref="Grpc.ExceptionStatusInterceptor"/>.
/// </summary>
public static class DatabaseOutage
{
    public const string Message = "the service's database is unavailable; try again";

    /// <summary>UNAVAILABLE for an outage, null (not mine to map) for anything else.</summary>
    public static Status? ToStatus(Exception exception) =>
        IsOutage(exception) ? new Status(StatusCode.Unavailable, Message) : null;

    /// <summary>
    /// An error PostgreSQL reports for an outage: class 08 (connection exception), class 53 (insufficient resources,
    /// e.g. 53300 too many clients), 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now), and 55000 when the
    /// server refuses a new session (FATAL: the database is not accepting connections, ALTER DATABASE ... ALLOW_CONNECTIONS
    /// false); or a failure on the client side of the connection that Npgsql deems transient (broken socket, timeout).
    /// Anything else (constraint violations, serialization failures, bad SQL) is not an outage: retrying it as one would
    /// hide a bug or repeat a conflict the handler should resolve.
    /// </summary>
    public static bool IsOutage(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
            || postgres.SqlState.StartsWith("53", StringComparison.Ordinal)
            || postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
            || postgres is { SqlState: PostgresErrorCodes.ObjectNotInPrerequisiteState, Severity: "FATAL" },
        NpgsqlException npgsql => npgsql.IsTransient,
        _ => false,
    };
}
