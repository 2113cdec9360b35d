using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Checkout.ServiceDefaults.Messaging;

/// <summary>Checks every setting at start-up and reports all problems at once (data annotations alone skip nested sections).</summary>
internal sealed class MessagingOptionsValidator : IValidateOptions<MessagingOptions>
{
    public ValidateOptionsResult Validate(string? name, MessagingOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        Validator.TryValidateObject(options.Outbox, new ValidationContext(options.Outbox), results, validateAllProperties: true);
        Validator.TryValidateObject(options.Consumers, new ValidationContext(options.Consumers), results, validateAllProperties: true);
        var failures = results.Select(result => $"Messaging: {result.ErrorMessage}").ToList();
        if (string.IsNullOrWhiteSpace(options.ServiceName))
            failures.Add("Messaging:ServiceName must not be empty.");
        foreach (var (setting, value) in new (string, TimeSpan)[]
                 {
                     ("TopicsTimeout", options.TopicsTimeout),
                     ("Outbox:PollInterval", options.Outbox.PollInterval), ("Outbox:PublishTimeout", options.Outbox.PublishTimeout),
                     ("Outbox:RetryMinDelay", options.Outbox.RetryMinDelay), ("Outbox:RetryMaxDelay", options.Outbox.RetryMaxDelay),
                     ("Outbox:Retention", options.Outbox.Retention), ("Outbox:CleanupInterval", options.Outbox.CleanupInterval),
                     ("Outbox:UnhealthyAge", options.Outbox.UnhealthyAge), ("Outbox:StatisticsInterval", options.Outbox.StatisticsInterval),
                     ("Consumers:RetryMinDelay", options.Consumers.RetryMinDelay), ("Consumers:RetryMaxDelay", options.Consumers.RetryMaxDelay),
                     ("Consumers:CommitInterval", options.Consumers.CommitInterval),
                 })
        {
            if (value <= TimeSpan.Zero)
                failures.Add($"Messaging:{setting} must be a positive duration (was {value}).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
