package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pbregistry/pbregistry/registry/internal/migration"
)

// migrationFiles are the schema migrations, applied in order by Open.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the parsed migrationFiles.
var migrations = migration.MustLoad(migrationFiles, "migrations")

// migrate applies the pending migrations in one transaction that first
// takes a transaction-scoped advisory lock keyed by the current schema:
// processes starting at once take turns, and the later ones find the
// migrations applied. DDL is transactional in PostgreSQL, so a failed
// migration leaves nothing. The transaction runs with
// MigrationStatementTimeout and MigrationLockTimeout instead of the
// connections' shorter timeouts.
func migrate(ctx context.Context, pool *pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, set := range []string{
			fmt.Sprintf("SET LOCAL statement_timeout = %d", MigrationStatementTimeout.Milliseconds()),
			fmt.Sprintf("SET LOCAL lock_timeout = %d", MigrationLockTimeout.Milliseconds()),
		} {
			if _, err := tx.Exec(ctx, set); err != nil {
				return fmt.Errorf("migrate: %s: %w", set, err)
			}
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('pbregistry.migrate.' || coalesce(current_schema(), '')))`); err != nil {
			return fmt.Errorf("migrate: take the migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("migrate: create schema_migrations: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("migrate: read schema version: %w", err)
		}
		pending, err := migration.Pending(migrations, current)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		for _, m := range pending {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migrate: apply %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
				return fmt.Errorf("migrate: record %s: %w", m.Name, err)
			}
		}
		return nil
	})
}

// checkSchema returns an error unless the database has the schema version
// this binary needs (or a newer one, which a read-only store reads as far
// as it knows it).
func checkSchema(ctx context.Context, pool *pool) error {
	var current int
	if err := pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w (open the database read-write once to create its schema)", err)
	}
	if latest := migration.Latest(migrations); current < latest {
		return fmt.Errorf("the database's schema version is %d, this binary needs %d: open it read-write once to migrate it", current, latest)
	}
	return nil
}
