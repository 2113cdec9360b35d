// Each test runs a whole system (PostgreSQL, the broker, six services): one at a time on a small machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
