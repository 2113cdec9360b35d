namespace Checkout.ServiceDefaults.Tests;
