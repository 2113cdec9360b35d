using Checkout.AppHost.Infrastructure;

// Starts a temporary PostgreSQL cluster, prints "<port> <data folder>" and waits until standard input closes.
// The test holds that pipe, so this process (and its server) also ends if the test process itself dies.
await using var postgres = await EmbeddedPostgres.StartAsync();
Console.WriteLine($"{postgres.Port} {postgres.DataDirectory}");
await Console.In.ReadToEndAsync();
