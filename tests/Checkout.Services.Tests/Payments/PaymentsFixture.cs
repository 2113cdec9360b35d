using Checkout.Contracts.Events.V1;
using Checkout.Contracts.Payments.V1;
using Checkout.Services.Tests.Hosting;
using Checkout.ServiceDefaults.Grpc;
using Npgsql;

namespace Checkout.Services.Tests.Payments;

/// <summary>
/// Payments as a real process on a real port, with its own database on an embedded PostgreSQL cluster and the
/// embedded broker. The provider's resilience is tightened so that "tok_timeout" fails in about a second.
/// </summary>
public sealed class PaymentsFixture : IAsyncLifetime
{
    public const int MaxRetryAttempts = 3;

    public ServiceTestBed TestBed { get; private set; } = null!;
    public ServiceProcess Payments { get; private set; } = null!;
    public string ConnectionString { get; private set; } = null!;
    public EventLog Events => TestBed.Events;

    private static readonly Method<GetPaymentRequest, Payment> GetPayment = Method.FromDescriptor<GetPaymentRequest, Payment>(
        PaymentsReflection.Descriptor.FindService("Payments").FindMethodByName("GetPayment"));

    public async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        TestBed = await ServiceTestBed.StartAsync(cancellationToken);
        ConnectionString = await TestBed.CreateDatabaseAsync("paymentsdb", cancellationToken);
        var environment = TestBed.Environment("paymentsdb", ConnectionString);
        environment["PaymentProvider__Resilience__AttemptTimeout__Timeout"] = "00:00:01.500";
        environment["PaymentProvider__Resilience__Retry__Delay"] = "00:00:00.020";
        environment["PaymentProvider__Resilience__Retry__MaxRetryAttempts"] = MaxRetryAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["PaymentProvider__Resilience__TotalRequestTimeout__Timeout"] = "00:00:04";
        Payments = await ServiceProcess.StartAsync("Payments", environment, cancellationToken);
    }

    public Task<Payment> GetAsync(string orderId) => Payments.Client.UnaryAsync(GetPayment, new GetPaymentRequest { OrderId = orderId },
        new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: TestContext.Current.CancellationToken));

    /// <summary>Waits (bounded) until the order's payment reaches <paramref name="status"/>.</summary>
    public async Task<Payment> WaitForStatusAsync(string orderId, PaymentStatus status)
    {
        Payment? payment = null;
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                payment = await GetAsync(orderId);
            }
            catch (RpcException exception) when (exception.StatusCode == StatusCode.NotFound)
            {
                return false;
            }
            return payment.Status == status;
        }, $"the payment of {orderId} is {status}");
        return payment!;
    }

    public static OrderPlaced Placed(string orderId, string token, long totalMinor = 4200) => new()
    {
        OrderId = orderId, CustomerId = "customer-1", TotalMinor = totalMinor, Currency = "EUR", PaymentToken = token,
        Lines = { new EventLine { Sku = "SKU-1", Quantity = 1, UnitPriceMinor = totalMinor } },
    };

    public static InventoryReserved Reserved(string orderId) => new()
    {
        OrderId = orderId, Lines = { new EventLine { Sku = "SKU-1", Quantity = 1 } },
    };

    public async Task<long> CountAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public async ValueTask DisposeAsync()
    {
        if (Payments is not null)
            await Payments.DisposeAsync();
        if (TestBed is not null)
            await TestBed.DisposeAsync();
    }
}
