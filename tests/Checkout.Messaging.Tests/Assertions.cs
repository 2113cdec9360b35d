namespace Checkout.Messaging.Tests;

internal static class OrderAssert
{
    /// <summary>For every key, the sequences appear in increasing order, exactly as written (1..n).</summary>
    public static void PerKeyInOrder(IEnumerable<(string Key, long Sequence)> observed, IEnumerable<(string Key, long Sequence)> expected)
    {
        var actual = observed.GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Select(e => e.Sequence).ToList());
        foreach (var key in expected.GroupBy(e => e.Key))
        {
            var want = key.Select(e => e.Sequence).ToList();
            Assert.True(actual.TryGetValue(key.Key, out var got), $"No event of key {key.Key} arrived.");
            Assert.Equal(want, got);
        }
    }
}
