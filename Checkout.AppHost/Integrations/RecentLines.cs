namespace Checkout.AppHost.Integrations;

/// <summary>The last lines a child process printed, bounded, kept to explain a failure; thread-safe.</summary>
internal sealed class RecentLines(int capacity)
{
    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();

    public void Add(string line)
    {
        lock (_gate)
        {
            if (_lines.Count == capacity)
            {
                _lines.Dequeue();
            }

            _lines.Enqueue(line);
        }
    }

    public bool Contains(string text)
    {
        lock (_gate)
        {
            return _lines.Any(line => line.Contains(text, StringComparison.Ordinal));
        }
    }

    /// <summary>The last <paramref name="count"/> lines, oldest first, one per line.</summary>
    public string Tail(int count)
    {
        lock (_gate)
        {
            return string.Join(Environment.NewLine, _lines.TakeLast(count));
        }
    }
}
