namespace Checkout.Grpc.Tests;
