using System.Net;
using System.Security.Cryptography;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using Checkout.Contracts;
using Checkout.Testing.AppHost;

namespace Checkout.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class AuthenticationTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Every_kind_of_bad_token_gets_401_saying_why()
    {
        var tokens = fixture.Tokens;
        var customer = GatewayFixture.NewCustomer("auth");
        using var otherRsa = RSA.Create(2048);
        var rsaPublicPem = Encoding.ASCII.GetBytes(tokens.Rsa.ExportSubjectPublicKeyInfoPem());
        // Each case names the reason the gateway must give (error_description): a token refused for another reason
        // than the one it was made to show would prove nothing.
        var cases = new (string Name, string? Token, string? Reason)[]
        {
            ("missing", null, null),
            ("garbage", "abc", "not a well-formed JWT"),
            ("expired beyond the clock skew", tokens.Mint(customer, expiresIn: TimeSpan.FromMinutes(-5)), "has expired"),
            ("not valid yet (nbf)", tokens.Mint(customer, notBeforeIn: TimeSpan.FromMinutes(5)), "not valid yet"),
            ("no expiry (exp)", tokens.Mint(customer, editClaims: claims => claims.Remove("exp")), "no expiry"),
            ("wrong audience", tokens.Mint(customer, audience: "another-api"), "not meant for this API"),
            ("wrong issuer", tokens.Mint(customer, issuer: "https://evil.example"), "issuer is not trusted"),
            ("signed by an untrusted key", tokens.Mint(customer, sign: data => otherRsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)), "signature is invalid"),
            ("a character of the signature changed", Tamper(tokens.Mint(customer)), "signature is invalid"),
            ("unknown kid", tokens.Mint(customer, keyId: "who-knows"), "no key this API trusts"),
            ("alg none", tokens.Mint(customer, algorithm: "none", keyId: null), "unsigned"),
            ("alg none naming a trusted key", tokens.Mint(customer, algorithm: "none"), "unsigned"),
            // The classic confusion: HMAC keyed with the RSA public key, which anyone can read.
            ("HS256 signed with the RS256 public key, kid of the RSA key",
                tokens.Mint(customer, algorithm: "HS256", keyId: TestTokens.RsKeyId, sign: data => HMACSHA256.HashData(rsaPublicPem, data)), "no key this API trusts"),
            // Without kid every HS256 key is tried (never the RSA one), and none verifies it.
            ("HS256 signed with the RS256 public key, no kid",
                tokens.Mint(customer, algorithm: "HS256", keyId: null, sign: data => HMACSHA256.HashData(rsaPublicPem, data)), "no key this API trusts"),
            ("RS256 header on the HS256 key", tokens.Mint(customer, algorithm: "RS256", keyId: TestTokens.HsKeyId), "no key this API trusts"),
            ("ES256 header on the RS256 key", tokens.Mint(customer, algorithm: "ES256", keyId: TestTokens.RsKeyId), "no key this API trusts"),
            ("a critical header extension", tokens.Mint(customer, editHeader: header =>
            {
                header["crit"] = new[] { "x-checkout" };
                header["x-checkout"] = 1;
            }), "critical extensions"),
            ("no subject", tokens.Mint(customer, editClaims: claims => claims.Remove("sub")), "subject (sub)"),
            ("a subject the services refuse as a customer id", tokens.Mint("auth0|123"), "subject (sub)"),
            // A pattern anchored with '$' would let a final newline through, and every call would then fail at Orders.
            ("a customer id subject with a final newline", tokens.Mint(customer + "\n"), "subject (sub)"),
            ("longer than 8 KiB", tokens.Mint(customer, editClaims: claims => claims["padding"] = new string('x', 9 * 1024)), "longer than this API accepts"),
            // The token's alg must not reach the WWW-Authenticate header: a quote or a control character would break it.
            ("an alg with a quote and a control character", tokens.Mint(customer, algorithm: "RS\"256\u0007", keyId: null, sign: _ => [1, 2, 3]), "no key this API trusts"),
        };

        foreach (var (name, token, reason) in cases)
        {
            using var response = await fixture.SendAsync(HttpMethod.Get, "/api/orders", token);
            await GatewayFixture.AssertProblemAsync(response, HttpStatusCode.Unauthorized, name);
            // As sent, not as HttpClient parses it: the header itself must be well-formed.
            var challenge = Assert.Single(response.Headers.NonValidated["WWW-Authenticate"]);
            if (reason is null)
            {
                Assert.Equal("Bearer", challenge);
                continue;
            }

            const string prefix = "Bearer error=\"invalid_token\", error_description=\"";
            Assert.True(challenge.StartsWith(prefix, StringComparison.Ordinal) && challenge.EndsWith('"'), $"{name}: {challenge}");
            var description = challenge[prefix.Length..^1];
            Assert.True(description.All(c => c is >= ' ' and <= '~' and not '"' and not '\\'), $"{name}: not a quoted-string RFC 6750 allows: {challenge}");
            Assert.True(description.Contains(reason, StringComparison.Ordinal), $"{name}: expected the reason '{reason}' in {challenge}");
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
                     ("ES256 without kid", tokens.Mint(customer, algorithm: "ES256", keyId: null)),
                     // Two HS256 keys are configured (the development key first): without kid each is tried.
                     ("HS256 without kid", tokens.Mint(customer, algorithm: "HS256", keyId: null)),
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
        var customerToken = await fixture.DevTokenAsync(GatewayFixture.NewCustomer("not-admin"));
        using var customer = await fixture.SendAsync(HttpMethod.Post, "/api/admin/stock/SKU-1012", customerToken, body);
        await GatewayFixture.AssertProblemAsync(customer, HttpStatusCode.Forbidden, "a customer restocking");

        // The product view leaves availability null while Inventory does not answer in time (a loaded machine): wait for it.
        var before = await fixture.WaitForViewAsync(customerToken, "/api/products/SKU-1012",
            view => view.GetProperty("available").ValueKind == System.Text.Json.JsonValueKind.Number, "showing its availability");
        var available = before.GetProperty("available").GetInt64();
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
        await using var production = await fixture.StartGatewayAsync("Production");
        using var http = GatewayFixture.CreateHttpClient(production);

        using var devToken = await http.PostAsync("/dev/token",
            new StringContent("""{"customerId":"newcomer"}""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        await GatewayFixture.AssertProblemAsync(devToken, HttpStatusCode.NotFound, "/dev/token in Production");

        // The production gateway itself works, with the configured keys only.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/orders");
        request.Headers.Authorization = new("Bearer", fixture.Tokens.Mint(GatewayFixture.NewCustomer("prod")));
        using var orders = await http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, orders.StatusCode);
    }

    [Fact]
    public async Task A_misconfigured_key_stops_the_start_with_a_message_naming_it()
    {
        var cases = new (string Name, string Variable, string Value, string Message)[]
        {
            ("an RS256 key that is no PEM", "Authentication__Jwt__SigningKeys__2__PublicKeyPem", "not a key",
                $"Authentication:Jwt:SigningKeys '{TestTokens.RsKeyId}': PublicKeyPem is not an RSA public key in PEM."),
            ("an HS256 secret of 16 bytes", "Authentication__Jwt__SigningKeys__1__Secret", Convert.ToBase64String(new byte[16]),
                $"Authentication:Jwt:SigningKeys '{TestTokens.HsKeyId}': Secret must hold at least 32 bytes."),
            ("an ES256 key given an RSA public key", "Authentication__Jwt__SigningKeys__3__PublicKeyPem", fixture.Tokens.Rsa.ExportSubjectPublicKeyInfoPem(),
                $"Authentication:Jwt:SigningKeys '{TestTokens.EsKeyId}': PublicKeyPem is not an EC public key in PEM."),
            ("an algorithm the gateway does not serve", "Authentication__Jwt__SigningKeys__2__Algorithm", "PS256",
                $"Authentication:Jwt:SigningKeys '{TestTokens.RsKeyId}': Algorithm must be HS256, RS256 or ES256, not 'PS256'."),
        };
        foreach (var (name, variable, value, message) in cases)
        {
            await using var gateway = await fixture.StartGatewayAsync("Production", new Dictionary<string, string> { [variable] = value }, waitUntilHealthy: false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromMinutes(2));
            // The process ran and ended by itself (Finished, not FailedToStart) with a failure's exit code, as the app model records it.
            var stopped = await gateway.WaitForExitAsync(ServiceNames.Gateway, timeout.Token);
            Assert.True(stopped.State?.Text == KnownResourceStates.Finished && stopped.ExitCode is { } code && code != 0,
                $"{name}: the gateway ended {stopped.State?.Text} with exit code {stopped.ExitCode?.ToString() ?? "none"}");
            // Among everything it printed (its console lines through the app model), the reason, naming the key; the
            // wait fails the test, quoting the last lines, when no line says it.
            await gateway.WaitForConsoleLineAsync(ServiceNames.Gateway, line => line.Contains(message, StringComparison.Ordinal),
                TimeSpan.FromSeconds(30), timeout.Token);
        }
    }

    /// <summary>The token with one character in the middle of its signature changed (the last may only hold padding bits).</summary>
    private static string Tamper(string token)
    {
        var signatureStart = token.LastIndexOf('.') + 1;
        var chars = token.ToCharArray();
        var middle = signatureStart + (token.Length - signatureStart) / 2;
        chars[middle] = chars[middle] == 'A' ? 'B' : 'A';
        return new string(chars);
    }
}
