namespace Checkout.ServiceDefaults.Messaging;

/// <summary>The broker's address, from ConnectionStrings:kafka.</summary>
internal sealed record KafkaConnection(string BootstrapServers);
