namespace Checkout.Contracts;

/// <summary>
/// The services' names in the app host, which are also their addresses for service discovery (a client of
/// Catalog calls http://catalog, resolved from services__catalog__http__0).
/// </summary>
public static class ServiceNames
{
    public const string Catalog = "catalog";
    public const string Orders = "orders";
    public const string Inventory = "inventory";
    public const string Payments = "payments";
    public const string Notifications = "notifications";
    public const string Gateway = "gateway";
}
