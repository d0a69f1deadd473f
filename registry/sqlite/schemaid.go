package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/pbregistry/pbregistry/registry"
)

var _ registry.SchemaIDStore = (*Store)(nil)

// AssignSchemaID implements registry.SchemaIDStore. The write connection's
// BEGIN IMMEDIATE serializes assignments, so the next id is max(id)+1.
func (s *Store) AssignSchemaID(ctx context.Context, sc registry.Schema) (registry.Schema, bool, error) {
	if err := s.writable("assign schema id"); err != nil {
		return registry.Schema{}, false, err
	}
	if err := sc.Validate(); err != nil {
		return registry.Schema{}, false, fmt.Errorf("assign schema id: %w", err)
	}
	if got, err := s.GetSchemaByDigest(ctx, sc.Digest); err == nil {
		if sc.ID != 0 && got.ID != sc.ID {
			return registry.Schema{}, false, fmt.Errorf("assign schema id %d: the content has id %d already: %w", sc.ID, got.ID, registry.ErrConflict)
		}
		return got, false, nil
	} else if !errors.Is(err, registry.ErrNotFound) {
		return registry.Schema{}, false, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return registry.Schema{}, false, fmt.Errorf("assign schema id: %w", err)
	}
	defer tx.Rollback()
	got, err := scanSchema(ctx, tx, `WHERE digest = ?`, sc.Digest)
	if err == nil {
		if sc.ID != 0 && got.ID != sc.ID {
			return registry.Schema{}, false, fmt.Errorf("assign schema id %d: the content has id %d already: %w", sc.ID, got.ID, registry.ErrConflict)
		}
		return got, false, nil
	} else if !errors.Is(err, registry.ErrNotFound) {
		return registry.Schema{}, false, fmt.Errorf("assign schema id: %w", err)
	}
	if sc.ID != 0 {
		if other, err := scanSchema(ctx, tx, `WHERE id = ?`, sc.ID); err == nil {
			return registry.Schema{}, false, fmt.Errorf("assign schema id %d: the id names other content (digest %s): %w", sc.ID, other.Digest, registry.ErrConflict)
		} else if !errors.Is(err, registry.ErrNotFound) {
			return registry.Schema{}, false, fmt.Errorf("assign schema id: %w", err)
		}
	} else {
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM schema_ids`).Scan(&sc.ID); err != nil {
			return registry.Schema{}, false, fmt.Errorf("assign schema id: %w", err)
		}
		if sc.ID > registry.MaxSchemaID {
			return registry.Schema{}, false, fmt.Errorf("assign schema id: every id up to %d is used: %w", registry.MaxSchemaID, registry.ErrConflict)
		}
	}
	sc.CreatedAt = now()
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_ids (id, digest, type, text, created_at) VALUES (?, ?, ?, ?, ?)`,
		sc.ID, sc.Digest, sc.Type, sc.Text, toMicros(sc.CreatedAt)); err != nil {
		return registry.Schema{}, false, fmt.Errorf("assign schema id: %w", err)
	}
	for i, r := range sc.References {
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_references (schema_id, position, name, module, version) VALUES (?, ?, ?, ?, ?)`,
			sc.ID, i, r.Name, r.Module, r.Version); err != nil {
			return registry.Schema{}, false, fmt.Errorf("assign schema id: reference %s: %w", r.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return registry.Schema{}, false, fmt.Errorf("assign schema id: commit: %w", err)
	}
	return sc, true, nil
}

// queryer is what scanSchema needs of a pool or a transaction.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// scanSchema reads the schema selected by where, with its references.
func scanSchema(ctx context.Context, q queryer, where string, arg any) (registry.Schema, error) {
	var sc registry.Schema
	var at int64
	err := q.QueryRowContext(ctx, `SELECT id, digest, type, text, created_at FROM schema_ids `+where, arg).
		Scan(&sc.ID, &sc.Digest, &sc.Type, &sc.Text, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return sc, &registry.NotFoundError{Kind: "schema", Key: fmt.Sprint(arg)}
	}
	if err != nil {
		return sc, err
	}
	sc.CreatedAt = fromMicros(at)
	rows, err := q.QueryContext(ctx, `SELECT name, module, version FROM schema_references WHERE schema_id = ? ORDER BY position`, sc.ID)
	if err != nil {
		return sc, err
	}
	defer rows.Close()
	for rows.Next() {
		var r registry.SchemaReference
		if err := rows.Scan(&r.Name, &r.Module, &r.Version); err != nil {
			return sc, err
		}
		sc.References = append(sc.References, r)
	}
	return sc, rows.Err()
}

// GetSchema implements registry.SchemaIDStore.
func (s *Store) GetSchema(ctx context.Context, id int64) (registry.Schema, error) {
	sc, err := scanSchema(ctx, s.r, `WHERE id = ?`, id)
	if err != nil {
		return sc, fmt.Errorf("get schema %d: %w", id, err)
	}
	return sc, nil
}

// GetSchemaByDigest implements registry.SchemaIDStore.
func (s *Store) GetSchemaByDigest(ctx context.Context, digest string) (registry.Schema, error) {
	sc, err := scanSchema(ctx, s.r, `WHERE digest = ?`, digest)
	if err != nil {
		return sc, fmt.Errorf("get schema by digest: %w", err)
	}
	return sc, nil
}

// BindSchema implements registry.SchemaIDStore.
func (s *Store) BindSchema(ctx context.Context, b registry.SchemaBinding) error {
	if err := s.writable("bind schema"); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return fmt.Errorf("bind schema: %w", err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("bind schema: %w", err)
	}
	defer tx.Rollback()
	var have int64
	err = tx.QueryRowContext(ctx, `SELECT schema_id FROM schema_bindings WHERE module = ? AND version = ?`, b.Module, b.Version).Scan(&have)
	switch {
	case err == nil && have != b.SchemaID:
		return fmt.Errorf("bind schema %d to %s@%d: the version holds schema %d: %w", b.SchemaID, b.Module, b.Version, have, registry.ErrConflict)
	case err == nil:
		_, err = tx.ExecContext(ctx, `UPDATE schema_bindings SET deleted = 0 WHERE module = ? AND version = ?`, b.Module, b.Version)
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO schema_bindings (module, version, schema_id, deleted) VALUES (?, ?, ?, 0)`, b.Module, b.Version, b.SchemaID)
	}
	if err != nil {
		return fmt.Errorf("bind schema %d to %s@%d: %w", b.SchemaID, b.Module, b.Version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("bind schema: commit: %w", err)
	}
	return nil
}

// GetSchemaBinding implements registry.SchemaIDStore.
func (s *Store) GetSchemaBinding(ctx context.Context, module string, version int64) (registry.SchemaBinding, error) {
	b := registry.SchemaBinding{Module: module, Version: version}
	err := s.r.QueryRowContext(ctx, `SELECT schema_id, deleted FROM schema_bindings WHERE module = ? AND version = ?`, module, version).Scan(&b.SchemaID, &b.Deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("get schema binding: %w", registry.SchemaBindingNotFound(module, version))
	}
	if err != nil {
		return b, fmt.Errorf("get schema binding %s@%d: %w", module, version, err)
	}
	return b, nil
}

// ListSchemaBindings implements registry.SchemaIDStore.
func (s *Store) ListSchemaBindings(ctx context.Context, q registry.SchemaBindingQuery) ([]registry.SchemaBinding, error) {
	var where []string
	var args []any
	if q.Module != "" {
		where, args = append(where, "module = ?"), append(args, q.Module)
	}
	if q.ModulePrefix != "" {
		where, args = append(where, "substr(module, 1, ?) = ?"), append(args, len(q.ModulePrefix), q.ModulePrefix)
	}
	if q.SchemaID != 0 {
		where, args = append(where, "schema_id = ?"), append(args, q.SchemaID)
	}
	if !q.IncludeDeleted {
		where = append(where, "deleted = 0")
	}
	query := `SELECT module, version, schema_id, deleted FROM schema_bindings`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY module, version"
	if q.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list schema bindings: %w", err)
	}
	defer rows.Close()
	var out []registry.SchemaBinding
	for rows.Next() {
		var b registry.SchemaBinding
		if err := rows.Scan(&b.Module, &b.Version, &b.SchemaID, &b.Deleted); err != nil {
			return nil, fmt.Errorf("list schema bindings: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list schema bindings: %w", err)
	}
	return out, nil
}

// SetSchemaBindingDeleted implements registry.SchemaIDStore.
func (s *Store) SetSchemaBindingDeleted(ctx context.Context, module string, version int64, deleted bool) error {
	if err := s.writable("delete schema binding"); err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx, `UPDATE schema_bindings SET deleted = ? WHERE module = ? AND version = ?`, deleted, module, version)
	if err != nil {
		return fmt.Errorf("set schema binding %s@%d deleted: %w", module, version, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set schema binding deleted: %w", registry.SchemaBindingNotFound(module, version))
	}
	return nil
}

// DeleteSchemaBinding implements registry.SchemaIDStore.
func (s *Store) DeleteSchemaBinding(ctx context.Context, module string, version int64) error {
	if err := s.writable("delete schema binding"); err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete schema binding: %w", err)
	}
	defer tx.Rollback()
	var referrer int64
	err = tx.QueryRowContext(ctx, `SELECT r.schema_id FROM schema_references r
		WHERE r.module = ? AND r.version = ? AND EXISTS (SELECT 1 FROM schema_bindings b WHERE b.schema_id = r.schema_id) LIMIT 1`,
		module, version).Scan(&referrer)
	if err == nil {
		return fmt.Errorf("delete schema binding %s@%d: schema %d references it: %w", module, version, referrer, registry.ErrConflict)
	} else if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("delete schema binding %s@%d: %w", module, version, err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM schema_bindings WHERE module = ? AND version = ?`, module, version)
	if err != nil {
		return fmt.Errorf("delete schema binding %s@%d: %w", module, version, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete schema binding: %w", registry.SchemaBindingNotFound(module, version))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete schema binding: commit: %w", err)
	}
	return nil
}

// SchemaReferrers implements registry.SchemaIDStore.
func (s *Store) SchemaReferrers(ctx context.Context, module string, version int64) ([]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT r.schema_id FROM schema_references r
		WHERE r.module = ? AND r.version = ? AND EXISTS (SELECT 1 FROM schema_bindings b WHERE b.schema_id = r.schema_id AND b.deleted = 0)
		ORDER BY r.schema_id`, module, version)
	if err != nil {
		return nil, fmt.Errorf("schema referrers of %s@%d: %w", module, version, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("schema referrers of %s@%d: %w", module, version, err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// GetSchemaSetting implements registry.SchemaIDStore.
func (s *Store) GetSchemaSetting(ctx context.Context, module, key string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM schema_settings WHERE module = ? AND key = ?`, module, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("get schema setting: %w", registry.SchemaSettingNotFound(module, key))
	}
	if err != nil {
		return "", fmt.Errorf("get schema setting %s:%s: %w", module, key, err)
	}
	return v, nil
}

// PutSchemaSetting implements registry.SchemaIDStore.
func (s *Store) PutSchemaSetting(ctx context.Context, module, key, value string) error {
	if err := s.writable("put schema setting"); err != nil {
		return err
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO schema_settings (module, key, value) VALUES (?, ?, ?)
		ON CONFLICT (module, key) DO UPDATE SET value = excluded.value`, module, key, value); err != nil {
		return fmt.Errorf("put schema setting %s:%s: %w", module, key, err)
	}
	return nil
}

// DeleteSchemaSetting implements registry.SchemaIDStore.
func (s *Store) DeleteSchemaSetting(ctx context.Context, module, key string) error {
	if err := s.writable("delete schema setting"); err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx, `DELETE FROM schema_settings WHERE module = ? AND key = ?`, module, key)
	if err != nil {
		return fmt.Errorf("delete schema setting %s:%s: %w", module, key, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete schema setting: %w", registry.SchemaSettingNotFound(module, key))
	}
	return nil
}

// ListSchemaSettings implements registry.SchemaIDStore.
func (s *Store) ListSchemaSettings(ctx context.Context, modules ...string) ([]registry.SchemaSetting, error) {
	if len(modules) == 0 {
		return nil, nil
	}
	args := make([]any, len(modules))
	for i, m := range modules {
		args[i] = m
	}
	rows, err := s.r.QueryContext(ctx, `SELECT module, key, value FROM schema_settings WHERE module IN (?`+strings.Repeat(", ?", len(modules)-1)+`) ORDER BY module, key`, args...)
	if err != nil {
		return nil, fmt.Errorf("list schema settings: %w", err)
	}
	defer rows.Close()
	var out []registry.SchemaSetting
	for rows.Next() {
		var st registry.SchemaSetting
		if err := rows.Scan(&st.Module, &st.Key, &st.Value); err != nil {
			return nil, fmt.Errorf("list schema settings: %w", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list schema settings: %w", err)
	}
	return out, nil
}
