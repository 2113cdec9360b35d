// The test runs a whole system and a browser: one test at a time on a small machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
