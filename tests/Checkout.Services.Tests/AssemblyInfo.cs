// Each service fixture starts the app host's model trimmed to that service, its database and, when it uses one, the
// broker (a PostgreSQL and a broker of its own); it lives for its test collection or class. Tests run one at a time:
// the machine is small and shared, and the concurrency that matters is inside each service. That also lets the
// services' console lines go to the running test's output.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
[assembly: Checkout.Testing.RouteLogsToRunningTest]

namespace Checkout.Services.Tests;
