// One test at a time: the console-log test redirects the process-wide Console.Out, and the box has 2 cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
// One PostgreSQL cluster, run through Aspire as the app host runs it, for the tests that need a database of their own.
[assembly: AssemblyFixture(typeof(Checkout.ServiceDefaults.Tests.PostgresFixture))]
