using System.Text.Json.Serialization;
using Checkout.Gateway;
using Checkout.Gateway.Aggregation;
using Checkout.Gateway.Api;
using Checkout.Gateway.Auth;
using Checkout.Gateway.Backends;
using Checkout.Gateway.Edge;
using Checkout.Gateway.Problems;
using Checkout.ServiceDefaults.Correlation;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGatewayProblemDetails();
builder.AddJwtBearerAuthentication();
builder.AddCallerRateLimiting();
builder.Services.AddOptions<GatewayOptions>()
    .Bind(builder.Configuration.GetSection(GatewayOptions.SectionName))
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddOptions<KestrelServerOptions>()
    .Configure<IOptions<GatewayOptions>>((kestrel, gateway) => kestrel.Limits.MaxRequestBodySize = gateway.Value.MaxRequestBodySize);
ServiceClients.AddServiceClients(builder.Services);
builder.Services.AddTransient<OrderViewAggregator>();
// Unknown JSON fields are rejected (400 naming the field) rather than silently dropped: a misspelt field is a bug.
builder.Services.Configure<JsonOptions>(options => options.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow);
// Binding failures (bad JSON, wrong types, missing body, bad query values) reach GatewayExceptionHandler as exceptions.
builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
builder.Services.AddOpenApi();

var app = builder.Build();

app.UseCorrelationId();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseRateLimiter();
app.UseAuthorization();

app.MapOpenApi();
app.MapProductsApi();
app.MapOrdersApi();
app.MapAdminApi();
if (app.Environment.IsDevelopment()) app.MapDevelopmentTokenEndpoint();
app.MapDefaultEndpoints();

await app.RunAsync();
