namespace Checkout.AppHost.Integrations.Kafka;

/// <summary>
/// Kafka in the published manifest: the official Apache Kafka image as one KRaft node (broker and controller), for a
/// deployment that has a container platform. Aspire.Hosting.Kafka, which would provide it, is not available here.
/// </summary>
public sealed class KafkaContainerResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";
    public const int BrokerPort = 9092;

    public EndpointReference PrimaryEndpoint => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)}");
}
