// One PostgreSQL cluster and one Kafka-protocol broker for the whole run; each service under test runs as a child
// process for the duration of its test collection, with a database of its own. Collections run one at a time:
// the machine is small and shared, and the concurrency that matters is inside each service.
[assembly: AssemblyFixture(typeof(Checkout.Services.Tests.InfrastructureFixture))]
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Checkout.Services.Tests;
