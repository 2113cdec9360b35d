namespace Checkout.Contracts;

/// <summary>
/// Each service's own database: the app host creates it under this name and hands its connection string over as
/// ConnectionStrings__{name}, which the service reads under the same name.
/// </summary>
public static class DatabaseNames
{
    public const string Catalog = "catalogdb";
    public const string Orders = "ordersdb";
    public const string Inventory = "inventorydb";
    public const string Payments = "paymentsdb";
    public const string Notifications = "notificationsdb";
}
