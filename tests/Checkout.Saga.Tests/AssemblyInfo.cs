// The saga tests share one running system (SagaFixture) and run one at a time: they check exact books
// (stock ledger, money, notifications) after each scenario, which concurrent scenarios would blur.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
[assembly: Checkout.Testing.RouteLogsToRunningTest]
