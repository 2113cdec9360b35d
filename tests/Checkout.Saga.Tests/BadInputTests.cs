using Checkout.Contracts.Orders.V1;
using Grpc.Core;

namespace Checkout.Saga.Tests;

/// <summary>Bad requests are refused at the edge with a message a client can show, and leave nothing behind.</summary>
[Collection(SagaCollection.Name)]
public sealed class BadInputTests(SagaFixture fixture)
{
    private const string Sku = "SKU-1011";

    public static TheoryData<string, StatusCode, string> BadOrders => new()
    {
        { "no lines", StatusCode.InvalidArgument, "lines must hold 1 to 50 lines (got 0)" },
        { "zero quantity", StatusCode.InvalidArgument, "lines[0].quantity must be between 1 and 1000" },
        { "negative quantity", StatusCode.InvalidArgument, "lines[0].quantity must be between 1 and 1000" },
        { "huge quantity", StatusCode.InvalidArgument, "lines[1].quantity must be between 1 and 1000" },
        { "duplicate SKUs", StatusCode.InvalidArgument, $"lines[1].sku {Sku} appears more than once" },
        { "unknown SKUs", StatusCode.NotFound, "unknown SKU(s): NOPE-1, NOPE-2" },
        { "too many lines", StatusCode.InvalidArgument, "lines must hold 1 to 50 lines (got 51)" },
        { "malformed SKU", StatusCode.InvalidArgument, "lines[0].sku must be 1 to 32 characters" },
        { "missing payment token", StatusCode.InvalidArgument, "payment_token is required" },
        { "missing idempotency key", StatusCode.InvalidArgument, "idempotency_key is required" },
    };

    [Theory]
    [MemberData(nameof(BadOrders))]
    public async Task A_bad_order_is_refused_with_a_readable_message_and_nothing_is_stored(string problem, StatusCode expected, string message)
    {
        var customer = SagaFixture.NewCustomer("bad-input");
        var request = SagaFixture.NewOrder(customer, "tok_visa", (Sku, 1));
        switch (problem)
        {
            case "no lines":
                request.Lines.Clear();
                break;
            case "zero quantity":
                request.Lines[0].Quantity = 0;
                break;
            case "negative quantity":
                request.Lines[0].Quantity = -3;
                break;
            case "huge quantity":
                request.Lines.Add(new OrderLineRequest { Sku = "SKU-1001", Quantity = int.MaxValue });
                break;
            case "duplicate SKUs":
                request.Lines.Add(new OrderLineRequest { Sku = Sku, Quantity = 2 });
                break;
            case "unknown SKUs":
                request.Lines.Add(new OrderLineRequest { Sku = "NOPE-1", Quantity = 1 });
                request.Lines.Add(new OrderLineRequest { Sku = "NOPE-2", Quantity = 1 });
                break;
            case "too many lines":
                request.Lines.Clear();
                request.Lines.AddRange(Enumerable.Range(0, 51).Select(i => new OrderLineRequest { Sku = $"SKU-{9000 + i}", Quantity = 1 }));
                break;
            case "malformed SKU":
                request.Lines[0].Sku = "sku 1011";
                break;
            case "missing payment token":
                request.PaymentToken = "";
                break;
            case "missing idempotency key":
                request.IdempotencyKey = "";
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(problem), problem, "no such case");
        }

        var failure = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.PlaceOrderAsync(request, TestContext.Current.CancellationToken));

        Assert.Equal(expected, failure.StatusCode);
        AssertReadable(failure, message);
        var listed = await fixture.Client.ListOrdersAsync(new ListOrdersRequest { CustomerId = customer }, TestContext.Current.CancellationToken);
        Assert.Empty(listed.Orders);
        await fixture.ReconcileAsync([]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("bad customer!")]
    [InlineData("a-customer-id-that-is-far-too-long-to-be-accepted-by-the-orders-service")]
    public async Task A_malformed_customer_id_is_refused_and_names_the_field(string customer)
    {
        var request = SagaFixture.NewOrder(customer, "tok_visa", (Sku, 1));

        var failure = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.PlaceOrderAsync(request, TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        AssertReadable(failure, "customer_id must be 1 to 64 characters");
        await fixture.ReconcileAsync([]);
    }

    [Fact]
    public async Task Malformed_and_unknown_order_ids_are_refused()
    {
        var malformed = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.GetOrderAsync("not-a-uuid", TestContext.Current.CancellationToken));
        Assert.Equal(StatusCode.InvalidArgument, malformed.StatusCode);
        AssertReadable(malformed, "order_id must be a UUID");

        var cancelMalformed = await Assert.ThrowsAsync<RpcException>(
            () => fixture.Client.CancelOrderAsync(new CancelOrderRequest { OrderId = "42" }, TestContext.Current.CancellationToken));
        Assert.Equal(StatusCode.InvalidArgument, cancelMalformed.StatusCode);

        var unknown = Guid.NewGuid().ToString();
        var missing = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.GetOrderAsync(unknown, TestContext.Current.CancellationToken));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        AssertReadable(missing, unknown);

        var missingPayment = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.GetPaymentAsync(unknown, TestContext.Current.CancellationToken));
        Assert.Equal(StatusCode.NotFound, missingPayment.StatusCode);
        await fixture.ReconcileAsync([]);
    }

    private static void AssertReadable(RpcException failure, string expected)
    {
        Assert.Contains(expected, failure.Status.Detail, StringComparison.Ordinal);
        // A message for people: no stack trace or exception type leaks out.
        Assert.DoesNotContain(" at ", failure.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", failure.Status.Detail, StringComparison.Ordinal);
    }
}
