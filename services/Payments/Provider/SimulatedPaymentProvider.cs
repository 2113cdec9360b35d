using Dapper;
using Npgsql;

namespace Checkout.Payments.Provider;

/// <summary>
/// A payment provider simulated from the token (see SAGA.md): "tok_decline" is declined ("card declined");
/// "tok_flaky" fails transiently on the first two calls of each order, then succeeds; "tok_timeout" never answers
/// (the caller's attempt timeout ends the call); any other token is captured. Its ledger lives in the schema
/// simulated_provider and is written in the simulator's own transactions, never in its caller's, as an external
/// system's would be: it remembers a charge even when the caller's transaction rolls back.
/// </summary>
public sealed class SimulatedPaymentProvider([FromKeyedServices(SimulatedPaymentProvider.LedgerKey)] NpgsqlDataSource dataSource) : IPaymentProvider
{
    /// <summary>The service key of the ledger's own data source (see <see cref="SimulatedPaymentProviderExtensions"/>).</summary>
    public const string LedgerKey = "simulated-provider-ledger";

    public const string DeclineToken = "tok_decline";
    public const string FlakyToken = "tok_flaky";
    public const string TimeoutToken = "tok_timeout";
    private const int FlakyFailures = 2;

    public async Task<ChargeResult> ChargeAsync(string idempotencyKey, long amountMinor, string currency, string token, CancellationToken cancellationToken)
    {
        if (token == TimeoutToken)
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        }

        var flaky = token == FlakyToken;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One statement (one round trip, one commit) counts the call and decides: the first call with a key that is
        // not a simulated failure inserts the charge; any later call finds it and answers the same.
        var call = await connection.QuerySingleAsync<LedgerCall>(new CommandDefinition(
            """
            WITH counted AS (
                INSERT INTO simulated_provider.calls (idempotency_key, calls) VALUES (@idempotencyKey, 1)
                ON CONFLICT (idempotency_key) DO UPDATE SET calls = simulated_provider.calls.calls + 1
                RETURNING calls),
            decided AS (
                INSERT INTO simulated_provider.charges (idempotency_key, outcome, reference, amount_minor, currency)
                SELECT @idempotencyKey, @outcome, @reference, @amountMinor, @currency FROM counted
                WHERE NOT (@flaky AND counted.calls <= @flakyFailures)
                ON CONFLICT (idempotency_key) DO NOTHING
                RETURNING outcome, reference)
            SELECT counted.calls AS Calls, COALESCE(decided.outcome, earlier.outcome) AS Outcome, COALESCE(decided.reference, earlier.reference) AS Reference
            FROM counted
            LEFT JOIN decided ON true
            LEFT JOIN simulated_provider.charges earlier ON earlier.idempotency_key = @idempotencyKey
            """,
            new
            {
                idempotencyKey,
                amountMinor,
                currency,
                flaky,
                flakyFailures = FlakyFailures,
                outcome = token == DeclineToken ? "declined" : "captured",
                reference = "ch_" + Guid.NewGuid().ToString("N")[..24],
            },
            cancellationToken: cancellationToken));
        if (call.Outcome is not null)
            return ToResult(new LedgerCharge(call.Outcome, call.Reference!));
        if (flaky && call.Calls <= FlakyFailures)
            throw new PaymentProviderUnavailableException($"simulated transient failure {call.Calls} of {FlakyFailures}");
        // A concurrent call with the same key inserted the charge after this statement's snapshot: read it now.
        return await FindAsync(connection, idempotencyKey, cancellationToken)
            ?? throw new InvalidOperationException($"The simulated provider lost the charge of {idempotencyKey}.");
    }

    public async Task<string> RefundAsync(string idempotencyKey, long amountMinor, string currency, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // Setting (not adding) the refunded amount makes a repeated refund a no-op.
        var reference = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            """
            UPDATE simulated_provider.charges SET refunded_minor = @amountMinor
            WHERE idempotency_key = @idempotencyKey AND outcome = 'captured' AND amount_minor >= @amountMinor AND currency = @currency
            RETURNING reference
            """,
            new { idempotencyKey, amountMinor, currency }, cancellationToken: cancellationToken));
        return reference is null
            ? throw new InvalidOperationException($"The simulated provider holds no captured charge of at least {amountMinor} {currency} for {idempotencyKey}.")
            : "re_" + reference[3..];
    }

    private static async Task<ChargeResult?> FindAsync(NpgsqlConnection connection, string idempotencyKey, CancellationToken cancellationToken)
    {
        var charge = await connection.QuerySingleOrDefaultAsync<LedgerCharge>(new CommandDefinition(
            "SELECT outcome, reference FROM simulated_provider.charges WHERE idempotency_key = @idempotencyKey",
            new { idempotencyKey }, cancellationToken: cancellationToken));
        return charge is null ? null : ToResult(charge);
    }

    private static ChargeResult ToResult(LedgerCharge charge) =>
        charge.Outcome == "captured" ? ChargeResult.Capture(charge.Reference) : ChargeResult.Decline("card declined");

    private sealed record LedgerCharge(string Outcome, string Reference);

    private sealed record LedgerCall(int Calls, string? Outcome, string? Reference);
}
