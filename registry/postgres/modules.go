package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pbregistry/pbregistry/registry"
)

// selectModule selects the columns scanModule reads.
const selectModule = `SELECT name, latest_version, created_at, updated_at,
	deprecation_message, deprecated_by, deprecated_at FROM modules`

// scanModule reads a row of selectModule.
func scanModule(row pgx.Row) (registry.Module, error) {
	var m registry.Module
	var depMessage, depBy *string
	var depAt *time.Time
	err := row.Scan(&m.Name, &m.LatestVersion, &m.CreatedAt, &m.UpdatedAt, &depMessage, &depBy, &depAt)
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	if err == nil && depMessage != nil {
		m.Deprecation = &registry.ModuleDeprecation{Message: *depMessage}
		if depBy != nil {
			m.Deprecation.Principal = *depBy
		}
		if depAt != nil {
			m.Deprecation.At = depAt.UTC()
		}
	}
	return m, err
}

// GetModule implements registry.Store. A module whose first push is still
// in progress has no version yet and is not found.
func (s *Store) GetModule(ctx context.Context, module string) (registry.Module, error) {
	m, err := scanModule(s.pool.QueryRow(ctx, selectModule+` WHERE name = $1 AND latest_version > 0`, module))
	if errors.Is(err, pgx.ErrNoRows) {
		return m, fmt.Errorf("get module: %w", registry.ModuleNotFound(module))
	}
	if err != nil {
		return m, fmt.Errorf("get module %s: %w", module, err)
	}
	return m, nil
}

// ListModules implements registry.Store. It pages through the unique index
// on name.
func (s *Store) ListModules(ctx context.Context, page registry.PageRequest) (registry.Page[registry.Module], error) {
	out, err := registry.ListPage("modules", page, func(after string, n int) ([]registry.Module, error) {
		rows, err := s.pool.Query(ctx, selectModule+` WHERE name > $1 AND latest_version > 0 ORDER BY name LIMIT $2`, after, n)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, func(r pgx.CollectableRow) (registry.Module, error) { return scanModule(r) })
	}, func(m registry.Module) string { return m.Name })
	if err != nil {
		return out, fmt.Errorf("list modules: %w", err)
	}
	return out, nil
}
