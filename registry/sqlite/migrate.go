package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/pbregistry/pbregistry/registry/internal/migration"
)

// migrationFiles are the schema migrations, applied in order by Open.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the parsed migrationFiles.
var migrations = migration.MustLoad(migrationFiles, "migrations")

// migrate applies the pending migrations in one BEGIN IMMEDIATE
// transaction, which holds the database's write lock: a second process
// opening the database at the same time waits, then finds them applied.
func migrate(ctx context.Context, w *sql.DB) error {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: read schema version: %w", err)
	}
	pending, err := migration.Pending(migrations, current)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range pending {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("migrate: apply %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.Version, m.Name, toMicros(time.Now())); err != nil {
			return fmt.Errorf("migrate: record %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

// checkSchema returns an error unless the database has the schema version
// this binary needs (or a newer one, which a read-only store reads as far
// as it knows it).
func checkSchema(ctx context.Context, r *sql.DB) error {
	var current sql.NullInt64
	err := r.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&current)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read schema version: %w (open the database read-write once to create its schema)", err)
	}
	if latest := migration.Latest(migrations); int(current.Int64) < latest {
		return fmt.Errorf("the database's schema version is %d, this binary needs %d: open it read-write once to migrate it", current.Int64, latest)
	}
	return nil
}
