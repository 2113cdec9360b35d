using Checkout.ServiceDefaults.Postgres;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Migration = Checkout.ServiceDefaults.Postgres.DatabaseMigrator.Migration;

namespace Checkout.ServiceDefaults.Tests;

/// <summary>Versioned SQL migrations against a real PostgreSQL cluster: once, in order, safe to run twice and at once.</summary>
public sealed class DatabaseMigratorTests(PostgresFixture postgres)
{
    // Neither statement is idempotent: applying either twice fails, so "applied once" is observable.
    private static readonly Migration[] Migrations =
    [
        new("0001_create_widgets", "CREATE TABLE widgets (id int PRIMARY KEY, name text NOT NULL)"),
        new("0002_seed_widgets", "INSERT INTO widgets (id, name) VALUES (1, 'first'), (2, 'second')"),
    ];

    [Fact]
    public async Task Applies_each_migration_once_when_run_twice()
    {
        await using var dataSource = await CreateDatabaseAsync("twice");

        await Migrator(dataSource).MigrateAsync(Migrations, TestContext.Current.CancellationToken);
        await Migrator(dataSource).MigrateAsync(Migrations, TestContext.Current.CancellationToken);

        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM widgets"));
        Assert.Equal(["0001_create_widgets", "0002_seed_widgets"],
            await connection.QueryAsync<string>("SELECT version FROM schema_migrations ORDER BY version"));
    }

    [Fact]
    public async Task Two_instances_starting_at_once_apply_each_migration_once()
    {
        await using var dataSource = await CreateDatabaseAsync("concurrent");

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            Task.Run(() => Migrator(dataSource).MigrateAsync(Migrations, TestContext.Current.CancellationToken))));

        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM widgets"));
    }

    [Fact]
    public async Task A_migration_changed_after_it_was_applied_is_refused()
    {
        await using var dataSource = await CreateDatabaseAsync("changed");
        await Migrator(dataSource).MigrateAsync(Migrations, TestContext.Current.CancellationToken);

        Migration[] edited = [Migrations[0], new("0002_seed_widgets", "INSERT INTO widgets (id, name) VALUES (3, 'third')")];
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Migrator(dataSource).MigrateAsync(edited, TestContext.Current.CancellationToken));

        Assert.Contains("Migration 0002_seed_widgets was changed after it was applied", error.Message);
        Assert.Contains("add a new migration instead", error.Message);
    }

    [Fact]
    public async Task A_failing_migration_is_rolled_back_and_named()
    {
        await using var dataSource = await CreateDatabaseAsync("failing");
        Migration[] broken =
        [
            Migrations[0],
            new("0002_half_done", "INSERT INTO widgets (id, name) VALUES (1, 'kept?'); INSERT INTO widgets (id, name) VALUES (1, 'duplicate')"),
        ];

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Migrator(dataSource).MigrateAsync(broken, TestContext.Current.CancellationToken));

        Assert.Contains("Migration 0002_half_done failed", error.Message);
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM widgets"));
        Assert.Equal(["0001_create_widgets"], await connection.QueryAsync<string>("SELECT version FROM schema_migrations"));
    }

    private async Task<NpgsqlDataSource> CreateDatabaseAsync(string purpose) =>
        NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync(purpose));

    private static DatabaseMigrator Migrator(NpgsqlDataSource dataSource) => new(dataSource, NullLogger<DatabaseMigrator>.Instance);
}
