package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pbregistry/pbregistry/registry"
)

var _ registry.SchemaIDStore = (*Store)(nil)

// AssignSchemaID implements registry.SchemaIDStore. Assignments take a
// transaction-scoped advisory lock, so that processes sharing the
// database give out ids one at a time: the next id is max(id)+1.
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
	var out registry.Schema
	created := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('pbregistry.schema_ids.' || coalesce(current_schema(), '')))`); err != nil {
			return err
		}
		got, err := scanSchema(ctx, tx, `WHERE digest = $1`, sc.Digest)
		if err == nil {
			if sc.ID != 0 && got.ID != sc.ID {
				return fmt.Errorf("the content has id %d already: %w", got.ID, registry.ErrConflict)
			}
			out = got
			return nil
		} else if !errors.Is(err, registry.ErrNotFound) {
			return err
		}
		if sc.ID != 0 {
			if other, err := scanSchema(ctx, tx, `WHERE id = $1`, sc.ID); err == nil {
				return fmt.Errorf("the id names other content (digest %s): %w", other.Digest, registry.ErrConflict)
			} else if !errors.Is(err, registry.ErrNotFound) {
				return err
			}
		} else {
			if err := tx.QueryRow(ctx, `SELECT coalesce(max(id), 0) + 1 FROM schema_ids`).Scan(&sc.ID); err != nil {
				return err
			}
			if sc.ID > registry.MaxSchemaID {
				return fmt.Errorf("every id up to %d is used: %w", registry.MaxSchemaID, registry.ErrConflict)
			}
		}
		sc.CreatedAt = now()
		if _, err := tx.Exec(ctx, `INSERT INTO schema_ids (id, digest, type, text, created_at) VALUES ($1, $2, $3, $4, $5)`,
			sc.ID, sc.Digest, sc.Type, sc.Text, sc.CreatedAt); err != nil {
			return err
		}
		for i, r := range sc.References {
			if _, err := tx.Exec(ctx, `INSERT INTO schema_references (schema_id, position, name, module, version) VALUES ($1, $2, $3, $4, $5)`,
				sc.ID, i, r.Name, r.Module, r.Version); err != nil {
				return fmt.Errorf("reference %s: %w", r.Name, err)
			}
		}
		out, created = sc, true
		return nil
	})
	if err != nil {
		return registry.Schema{}, false, fmt.Errorf("assign schema id: %w", s.pool.busy(ctx, err, ""))
	}
	return out, created, nil
}

// scanSchema reads the schema selected by where, with its references.
func scanSchema(ctx context.Context, q querier, where string, arg any) (registry.Schema, error) {
	var sc registry.Schema
	err := q.QueryRow(ctx, `SELECT id, digest, type, text, created_at FROM schema_ids `+where, arg).
		Scan(&sc.ID, &sc.Digest, &sc.Type, &sc.Text, &sc.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return sc, &registry.NotFoundError{Kind: "schema", Key: fmt.Sprint(arg)}
	}
	if err != nil {
		return sc, err
	}
	sc.CreatedAt = sc.CreatedAt.UTC()
	rows, err := q.Query(ctx, `SELECT name, module, version FROM schema_references WHERE schema_id = $1 ORDER BY position`, sc.ID)
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
	sc, err := scanSchema(ctx, s.pool, `WHERE id = $1`, id)
	if err != nil {
		return sc, fmt.Errorf("get schema %d: %w", id, err)
	}
	return sc, nil
}

// GetSchemaByDigest implements registry.SchemaIDStore.
func (s *Store) GetSchemaByDigest(ctx context.Context, digest string) (registry.Schema, error) {
	sc, err := scanSchema(ctx, s.pool, `WHERE digest = $1`, digest)
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
	var have int64
	err := s.pool.QueryRow(ctx, `INSERT INTO schema_bindings (module, version, schema_id, deleted) VALUES ($1, $2, $3, false)
		ON CONFLICT (module, version) DO UPDATE SET deleted = schema_bindings.deleted AND schema_bindings.schema_id <> excluded.schema_id
		RETURNING schema_id`, b.Module, b.Version, b.SchemaID).Scan(&have)
	if err != nil {
		return fmt.Errorf("bind schema %d to %s@%d: %w", b.SchemaID, b.Module, b.Version, err)
	}
	if have != b.SchemaID {
		return fmt.Errorf("bind schema %d to %s@%d: the version holds schema %d: %w", b.SchemaID, b.Module, b.Version, have, registry.ErrConflict)
	}
	return nil
}

// GetSchemaBinding implements registry.SchemaIDStore.
func (s *Store) GetSchemaBinding(ctx context.Context, module string, version int64) (registry.SchemaBinding, error) {
	b := registry.SchemaBinding{Module: module, Version: version}
	err := s.pool.QueryRow(ctx, `SELECT schema_id, deleted FROM schema_bindings WHERE module = $1 AND version = $2`, module, version).Scan(&b.SchemaID, &b.Deleted)
	if errors.Is(err, pgx.ErrNoRows) {
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
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if q.Module != "" {
		where = append(where, "module = "+arg(q.Module))
	}
	if q.ModulePrefix != "" {
		where = append(where, "starts_with(module, "+arg(q.ModulePrefix)+")")
	}
	if q.SchemaID != 0 {
		where = append(where, "schema_id = "+arg(q.SchemaID))
	}
	if !q.IncludeDeleted {
		where = append(where, "NOT deleted")
	}
	query := `SELECT module, version, schema_id, deleted FROM schema_bindings`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY module, version"
	if q.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := s.pool.Query(ctx, query, args...)
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
	tag, err := s.pool.Exec(ctx, `UPDATE schema_bindings SET deleted = $1 WHERE module = $2 AND version = $3`, deleted, module, version)
	if err != nil {
		return fmt.Errorf("set schema binding %s@%d deleted: %w", module, version, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set schema binding deleted: %w", registry.SchemaBindingNotFound(module, version))
	}
	return nil
}

// DeleteSchemaBinding implements registry.SchemaIDStore. The binding's row
// is locked first, so that a concurrent reference to it waits.
func (s *Store) DeleteSchemaBinding(ctx context.Context, module string, version int64) error {
	if err := s.writable("delete schema binding"); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `SELECT schema_id FROM schema_bindings WHERE module = $1 AND version = $2 FOR UPDATE`, module, version).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return registry.SchemaBindingNotFound(module, version)
		}
		if err != nil {
			return err
		}
		var referrer int64
		err = tx.QueryRow(ctx, `SELECT r.schema_id FROM schema_references r
			WHERE r.module = $1 AND r.version = $2 AND EXISTS (SELECT 1 FROM schema_bindings b WHERE b.schema_id = r.schema_id) LIMIT 1`,
			module, version).Scan(&referrer)
		if err == nil {
			return fmt.Errorf("schema %d references it: %w", referrer, registry.ErrConflict)
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM schema_bindings WHERE module = $1 AND version = $2`, module, version)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete schema binding %s@%d: %w", module, version, s.pool.busy(ctx, err, ""))
	}
	return nil
}

// SchemaReferrers implements registry.SchemaIDStore.
func (s *Store) SchemaReferrers(ctx context.Context, module string, version int64) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT r.schema_id FROM schema_references r
		WHERE r.module = $1 AND r.version = $2 AND EXISTS (SELECT 1 FROM schema_bindings b WHERE b.schema_id = r.schema_id AND NOT b.deleted)
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
	err := s.pool.QueryRow(ctx, `SELECT value FROM schema_settings WHERE module = $1 AND key = $2`, module, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
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
	if _, err := s.pool.Exec(ctx, `INSERT INTO schema_settings (module, key, value) VALUES ($1, $2, $3)
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
	tag, err := s.pool.Exec(ctx, `DELETE FROM schema_settings WHERE module = $1 AND key = $2`, module, key)
	if err != nil {
		return fmt.Errorf("delete schema setting %s:%s: %w", module, key, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete schema setting: %w", registry.SchemaSettingNotFound(module, key))
	}
	return nil
}

// ListSchemaSettings implements registry.SchemaIDStore.
func (s *Store) ListSchemaSettings(ctx context.Context, modules ...string) ([]registry.SchemaSetting, error) {
	if len(modules) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT module, key, value FROM schema_settings WHERE module = ANY($1) ORDER BY module, key`, modules)
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
