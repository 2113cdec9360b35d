namespace Checkout.Infrastructure.Tests;
