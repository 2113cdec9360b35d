// One PostgreSQL cluster and one Kafka-protocol broker for the whole run, run through Aspire as the app host runs them;
// each test has its own database and topics.
// Tests run one at a time: they measure behaviour under faults on a small shared machine, not parallel speed.
[assembly: AssemblyFixture(typeof(Checkout.Messaging.Tests.MessagingFixture))]
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Checkout.Messaging.Tests;
