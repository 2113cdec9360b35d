using Npgsql;

namespace Checkout.Payments.Provider;

public static class SimulatedPaymentProviderExtensions
{
    private const int LedgerMaxPoolSize = 4;

    /// <summary>
    /// Registers the simulator as the <see cref="IPaymentProvider"/>, its ledger in the database named
    /// <paramref name="connectionName"/> but with a connection pool of its own: an external provider's capacity is not
    /// the service's, and its calls, made while a handler holds one of the service's connections, must never wait
    /// for another of those.
    /// </summary>
    public static IHostApplicationBuilder AddSimulatedPaymentProvider(this IHostApplicationBuilder builder, string connectionName)
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName)
            ?? throw new InvalidOperationException($"No connection string '{connectionName}' for the simulated payment provider's ledger.");
        var ledger = new NpgsqlDataSourceBuilder(connectionString) { Name = SimulatedPaymentProvider.LedgerKey };
        // Small: a charge is one short statement, and the service's own pool shares the server's connections.
        ledger.ConnectionStringBuilder.MaxPoolSize = LedgerMaxPoolSize;
        // As AddServiceDatabase does: the ledger leaves no session state, so a pooled connection needs no reset (a
        // transaction of its own per charge).
        ledger.ConnectionStringBuilder.NoResetOnClose = true;
        builder.Services.AddKeyedSingleton(SimulatedPaymentProvider.LedgerKey, (_, _) => ledger.Build());
        builder.Services.AddSingleton<IPaymentProvider, SimulatedPaymentProvider>();
        return builder;
    }
}
