// One test at a time: the console-log test redirects the process-wide Console.Out, and the box has 2 cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
