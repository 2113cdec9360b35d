namespace Checkout.Messaging.Tests;
