// One test at a time: each class runs an app host of its own (DCP, PostgreSQL, the broker) on a small shared machine,
// and some tests stop, kill or block what the others would use.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
