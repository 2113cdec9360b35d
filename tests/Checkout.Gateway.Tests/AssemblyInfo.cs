// The tests share one running system and gateway (GatewayFixture) and run one at a time: the degradation tests stop
// and restart services, which concurrent tests would feel.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
