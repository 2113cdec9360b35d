using Checkout.Catalog.Domain;
using Dapper;
using Npgsql;

namespace Checkout.Catalog.Data;

/// <summary>Reads the products table (the catalogue is written by migrations only).</summary>
public sealed class ProductRepository(NpgsqlDataSource dataSource)
{
    private const string Columns = "sku AS Sku, name AS Name, description AS Description, unit_price_minor AS UnitPriceMinor, currency AS Currency";

    /// <summary>Up to <paramref name="limit"/> products whose SKU sorts after <paramref name="afterSku"/> ("" for the first page), in SKU order.</summary>
    public async Task<IReadOnlyList<Product>> ListAsync(string afterSku, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var products = await connection.QueryAsync<Product>(new CommandDefinition(
            $"SELECT {Columns} FROM products WHERE sku > @afterSku ORDER BY sku LIMIT @limit",
            new { afterSku, limit }, cancellationToken: cancellationToken));
        return products.AsList();
    }

    /// <summary>The products among <paramref name="skus"/> that exist, in no particular order.</summary>
    public async Task<IReadOnlyList<Product>> FindAsync(string[] skus, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var products = await connection.QueryAsync<Product>(new CommandDefinition(
            $"SELECT {Columns} FROM products WHERE sku = ANY(@skus)",
            new { skus }, cancellationToken: cancellationToken));
        return products.AsList();
    }
}
