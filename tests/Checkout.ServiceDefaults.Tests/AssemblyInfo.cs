// One test at a time: the console-log test redirects the process-wide Console.Out, and the box has 2 cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
// One PostgreSQL cluster for the tests that only need a database of their own.
[assembly: AssemblyFixture(typeof(Checkout.ServiceDefaults.Tests.PostgresFixture))]
