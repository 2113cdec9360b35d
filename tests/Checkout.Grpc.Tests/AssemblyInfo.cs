// One test at a time: several tests measure deadlines and retry timing on a small shared machine, and one test at a
// time lets the servers' logs go to the running test's output.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
[assembly: RouteLogsToRunningTest]

namespace Checkout.Grpc.Tests;
