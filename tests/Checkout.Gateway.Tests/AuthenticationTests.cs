using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Checkout.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class AuthenticationTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Every_kind_of_bad_token_gets_401()
    {
        var tokens = fixture.Tokens;
        var customer = GatewayFixture.NewCustomer("auth");
        using var otherRsa = RSA.Create(2048);
        var rsaPublicPem = Encoding.ASCII.GetBytes(tokens.Rsa.ExportSubjectPublicKeyInfoPem());
        var cases = new (string Name, string? Token)[]
        {
            ("missing", null),
            ("garbage", "abc"),
            ("expired beyond the clock skew", tokens.Mint(customer, expiresIn: TimeSpan.FromMinutes(-5))),
            ("not valid yet (nbf)", tokens.Mint(customer, notBeforeIn: TimeSpan.FromMinutes(5))),
            ("wrong audience", tokens.Mint(customer, audience: "another-api")),
            ("wrong issuer", tokens.Mint(customer, issuer: "https://evil.example")),
            ("signed by an untrusted key", tokens.Mint(customer, sign: data => otherRsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))),
            ("unknown kid", tokens.Mint(customer, keyId: "who-knows")),
            ("alg none", tokens.Mint(customer, algorithm: "none", keyId: null)),
            ("alg none naming a trusted key", tokens.Mint(customer, algorithm: "none")),
            // The classic confusion: HMAC keyed with the RSA public key, which anyone can read.
            ("HS256 signed with the RS256 public key, kid of the RSA key",
                tokens.Mint(customer, algorithm: "HS256", keyId: TestTokens.RsKeyId, sign: data => HMACSHA256.HashData(rsaPublicPem, data))),
            ("HS256 signed with the RS256 public key, no kid",
                tokens.Mint(customer, algorithm: "HS256", keyId: null, sign: data => HMACSHA256.HashData(rsaPublicPem, data))),
            ("RS256 header on the HS256 key", tokens.Mint(customer, algorithm: "RS256", keyId: TestTokens.HsKeyId)),
            // The reason quotes the alg: a quote or a control character must not break the WWW-Authenticate header.
            ("a subject the services refuse as a customer id", tokens.Mint("auth0|123")),
            // A pattern anchored with '$' would let a final newline through, and every call would then fail at Orders.
            ("a customer id subject with a final newline", tokens.Mint(customer + "\n")),
            ("an alg with a quote and a control character", tokens.Mint(customer, algorithm: "RS\"256\u0007", keyId: null, sign: _ => [1, 2, 3])),
        };

        foreach (var (name, token) in cases)
        {
            using var response = await fixture.SendAsync(HttpMethod.Get, "/api/orders", token);
            await GatewayFixture.AssertProblemAsync(response, HttpStatusCode.Unauthorized, name);
            Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString());
        }
    }

    [Fact]
    public async Task Tokens_signed_with_each_trusted_key_type_are_accepted()
    {
        var customer = GatewayFixture.NewCustomer("auth-ok");
        var tokens = fixture.Tokens;
        foreach (var (name, token) in new[]
                 {
                     ("RS256", tokens.Mint(customer)),
                     ("ES256", tokens.Mint(customer, algorithm: "ES256", keyId: TestTokens.EsKeyId)),
                     ("HS256", tokens.Mint(customer, algorithm: "HS256", keyId: TestTokens.HsKeyId)),
                     ("RS256 without kid", tokens.Mint(customer, keyId: null)),
                     ("expired within the clock skew", tokens.Mint(customer, expiresIn: TimeSpan.FromSeconds(-5))),
                     ("development token", await fixture.DevTokenAsync(customer)),
                 })
        {
            using var response = await fixture.SendAsync(HttpMethod.Get, "/api/orders", token);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
        }
    }

    [Fact]
    public async Task Another_customers_order_is_not_found()
    {
        var alice = await fixture.DevTokenAsync(GatewayFixture.NewCustomer("alice"));
        var bob = await fixture.DevTokenAsync(GatewayFixture.NewCustomer("bob"));
        using var placed = await fixture.SendAsync(HttpMethod.Post, "/api/orders", alice,
            GatewayFixture.OrderJson("tok_visa", ("SKU-1005", 1)), idempotencyKey: Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.Accepted, placed.StatusCode);
        var location = placed.Headers.Location!.ToString();

        using var bobReads = await fixture.SendAsync(HttpMethod.Get, location, bob);
        await GatewayFixture.AssertProblemAsync(bobReads, HttpStatusCode.NotFound, "bob reading alice's order");
        using var bobCancels = await fixture.SendAsync(HttpMethod.Post, location + "/cancel", bob);
        await GatewayFixture.AssertProblemAsync(bobCancels, HttpStatusCode.NotFound, "bob cancelling alice's order");
        using var aliceReads = await fixture.SendAsync(HttpMethod.Get, location, alice);
        Assert.Equal(HttpStatusCode.OK, aliceReads.StatusCode);
        Assert.NotEqual("cancelled", (await GatewayFixture.ReadJsonAsync(aliceReads)).RootElement.GetProperty("order").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Restock_needs_the_admin_role()
    {
        const string body = """{"quantity": 5}""";
        using var anonymous = await fixture.SendAsync(HttpMethod.Post, "/api/admin/stock/SKU-1012", json: body);
        await GatewayFixture.AssertProblemAsync(anonymous, HttpStatusCode.Unauthorized, "anonymous restock");
        using var customer = await fixture.SendAsync(HttpMethod.Post, "/api/admin/stock/SKU-1012",
            await fixture.DevTokenAsync(GatewayFixture.NewCustomer("not-admin")), body);
        await GatewayFixture.AssertProblemAsync(customer, HttpStatusCode.Forbidden, "a customer restocking");

        using var before = await fixture.SendAsync(HttpMethod.Get, "/api/products/SKU-1012");
        var available = (await GatewayFixture.ReadJsonAsync(before)).RootElement.GetProperty("available").GetInt64();
        using var admin = await fixture.SendAsync(HttpMethod.Post, "/api/admin/stock/SKU-1012",
            fixture.Tokens.Mint(GatewayFixture.NewCustomer("staff"), role: "admin"), body);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        var level = (await GatewayFixture.ReadJsonAsync(admin)).RootElement;
        Assert.Equal("SKU-1012", level.GetProperty("sku").GetString());
        Assert.Equal(available + 5, level.GetProperty("available").GetInt64());
    }

    [Fact]
    public async Task The_development_token_endpoint_does_not_exist_in_production()
    {
        await using var production = fixture.CreateGateway("gateway-production", "Production");
        await production.StartAsync(TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = production.Endpoint };

        using var devToken = await http.PostAsync("/dev/token",
            new StringContent("""{"customerId":"newcomer"}""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        await GatewayFixture.AssertProblemAsync(devToken, HttpStatusCode.NotFound, "/dev/token in Production");

        // The production gateway itself works, with the configured keys only.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/orders");
        request.Headers.Authorization = new("Bearer", fixture.Tokens.Mint(GatewayFixture.NewCustomer("prod")));
        using var orders = await http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, orders.StatusCode);
    }
}
