package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pbregistry/pbregistry/registry"
)

// selectModule selects the columns scanModule reads.
const selectModule = `SELECT name, latest_version, created_at, updated_at,
	deprecation_message, deprecated_by, deprecated_at FROM modules`

// scanModule reads a row of selectModule.
func scanModule(row interface{ Scan(...any) error }) (registry.Module, error) {
	var m registry.Module
	var created, updated int64
	var depMessage, depBy sql.NullString
	var depAt sql.NullInt64
	if err := row.Scan(&m.Name, &m.LatestVersion, &created, &updated, &depMessage, &depBy, &depAt); err != nil {
		return m, err
	}
	m.CreatedAt, m.UpdatedAt = fromMicros(created), fromMicros(updated)
	if depMessage.Valid {
		m.Deprecation = &registry.ModuleDeprecation{Message: depMessage.String, Principal: depBy.String, At: fromMicros(depAt.Int64)}
	}
	return m, nil
}

// GetModule implements registry.Store.
func (s *Store) GetModule(ctx context.Context, module string) (registry.Module, error) {
	m, err := scanModule(s.r.QueryRowContext(ctx, selectModule+` WHERE name = ?`, module))
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("get module: %w", registry.ModuleNotFound(module))
	}
	if err != nil {
		return m, fmt.Errorf("get module %s: %w", module, err)
	}
	return m, nil
}

// ListModules implements registry.Store.
func (s *Store) ListModules(ctx context.Context, page registry.PageRequest) (registry.Page[registry.Module], error) {
	out, err := registry.ListPage("modules", page, func(after string, n int) ([]registry.Module, error) {
		rows, err := s.r.QueryContext(ctx, selectModule+` WHERE name > ? ORDER BY name LIMIT ?`, after, n)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var items []registry.Module
		for rows.Next() {
			m, err := scanModule(rows)
			if err != nil {
				return nil, err
			}
			items = append(items, m)
		}
		return items, rows.Err()
	}, func(m registry.Module) string { return m.Name })
	if err != nil {
		return out, fmt.Errorf("list modules: %w", err)
	}
	return out, nil
}
