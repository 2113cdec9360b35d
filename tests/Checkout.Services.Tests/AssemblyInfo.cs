// One PostgreSQL cluster and one Kafka-protocol broker for the whole run; each service under test runs as a child
// process for the duration of its test collection or class, with a database of its own. Tests run one at a time:
// the machine is small and shared, and the concurrency that matters is inside each service. That also lets the
// services' logs go to the running test's output.
[assembly: AssemblyFixture(typeof(Checkout.Services.Tests.ServiceTestBed))]
[assembly: CollectionBehavior(DisableTestParallelization = true)]
[assembly: Checkout.Testing.RouteLogsToRunningTest]

namespace Checkout.Services.Tests;
