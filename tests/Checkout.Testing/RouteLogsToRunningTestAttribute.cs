namespace Checkout.Testing;

/// <summary>Publishes the running test's output to <see cref="TestOutputLoggerProvider"/> for the test's duration.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class RouteLogsToRunningTestAttribute : Xunit.v3.BeforeAfterTestAttribute
{
    public override void Before(System.Reflection.MethodInfo methodUnderTest, Xunit.v3.IXunitTest test) =>
        TestOutputLoggerProvider.RunningTest = TestContext.Current.TestOutputHelper;

    public override void After(System.Reflection.MethodInfo methodUnderTest, Xunit.v3.IXunitTest test) =>
        TestOutputLoggerProvider.RunningTest = null;
}
