namespace Checkout.Testing;

/// <summary>The running test's output as a line sink for background threads (a child process's lines).</summary>
public static class TestOutput
{
    /// <summary>A sink writing to the current test's output; lines that arrive after the test ended are dropped.</summary>
    public static Action<string> Sink()
    {
        var output = TestContext.Current.TestOutputHelper;
        return line =>
        {
            try
            {
                output?.WriteLine(line);
            }
            catch (InvalidOperationException)
            {
                // The test has finished; its output is closed.
            }
        };
    }
}
