// Each test runs a whole AppHost (PostgreSQL, the broker, five services): one at a time on a small machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
