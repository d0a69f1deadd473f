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
		return m, fmt.Errorf("get module: %w", &registry.NotFoundError{Kind: "module", Key: module})
	}
	if err != nil {
		return m, fmt.Errorf("get module %s: %w", module, err)
	}
	return m, nil
}

// ListModules implements registry.Store.
func (s *Store) ListModules(ctx context.Context, page registry.PageRequest) (registry.Page[registry.Module], error) {
	var out registry.Page[registry.Module]
	limit, err := page.Limit()
	if err != nil {
		return out, fmt.Errorf("list modules: %w", err)
	}
	after, err := registry.DecodePageToken("modules", page.Token)
	if err != nil {
		return out, fmt.Errorf("list modules: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, selectModule+` WHERE name > ? ORDER BY name LIMIT ?`, after, limit+1)
	if err != nil {
		return out, fmt.Errorf("list modules: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanModule(rows)
		if err != nil {
			return out, fmt.Errorf("list modules: %w", err)
		}
		out.Items = append(out.Items, m)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("list modules: %w", err)
	}
	if len(out.Items) > limit {
		out.Items = out.Items[:limit]
		out.NextPageToken = registry.EncodePageToken("modules", out.Items[limit-1].Name)
	}
	return out, nil
}
