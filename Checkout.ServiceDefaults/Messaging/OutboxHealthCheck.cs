using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Checkout.ServiceDefaults.Messaging;

/// <summary>/health: unhealthy when the oldest unpublished event is older than Messaging:Outbox:UnhealthyAge.</summary>
internal sealed class OutboxHealthCheck(OutboxStatistics statistics, IOptions<MessagingOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var snapshot = await statistics.RefreshAsync(cancellationToken);
        var data = new Dictionary<string, object> { ["backlog"] = snapshot.Backlog, ["oldestAgeSeconds"] = snapshot.OldestAge.TotalSeconds };
        var limit = options.Value.Outbox.UnhealthyAge;
        return snapshot.OldestAge > limit
            ? new HealthCheckResult(context.Registration.FailureStatus,
                $"The oldest unpublished event is {snapshot.OldestAge.TotalSeconds:F0} s old (limit {limit.TotalSeconds:F0} s).", data: data)
            : HealthCheckResult.Healthy($"{snapshot.Backlog} events waiting to be published.", data);
    }
}
