package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/pbregistry/pbregistry/registry"
)

// selectException selects the columns scanException reads.
const selectException = `SELECT id, module, digest, rule, element, reason, principal, created_at, used_version, used_at FROM exceptions`

// scanException reads a row of selectException.
func scanException(row interface{ Scan(...any) error }) (registry.Exception, error) {
	var e registry.Exception
	var created int64
	var usedVersion, usedAt sql.NullInt64
	if err := row.Scan(&e.ID, &e.Module, &e.Digest, &e.Rule, &e.Element, &e.Reason, &e.Principal, &created, &usedVersion, &usedAt); err != nil {
		return e, err
	}
	e.CreatedAt = fromMicros(created)
	if usedVersion.Valid {
		e.UsedVersion = usedVersion.Int64
		e.UsedAt = fromMicros(usedAt.Int64)
	}
	return e, nil
}

// CreateException implements registry.Store.
func (s *Store) CreateException(ctx context.Context, spec registry.ExceptionSpec) (registry.Exception, error) {
	if err := s.writable("create exception"); err != nil {
		return registry.Exception{}, err
	}
	if err := spec.Validate(); err != nil {
		return registry.Exception{}, fmt.Errorf("create exception: %w", err)
	}
	e, err := scanException(s.w.QueryRowContext(ctx, `INSERT INTO exceptions (module, digest, rule, element, reason, principal, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
		RETURNING id, module, digest, rule, element, reason, principal, created_at, used_version, used_at`,
		spec.Module, spec.Digest, spec.Rule, spec.Element, spec.Reason, spec.Principal, toMicros(now())))
	if errors.Is(err, sql.ErrNoRows) {
		return registry.Exception{}, fmt.Errorf("create exception for %s %s on %s of %s: %w",
			spec.Module, spec.Rule, spec.Element, spec.Digest, registry.ErrAlreadyExists)
	}
	if err != nil {
		return registry.Exception{}, fmt.Errorf("create exception for %s: %w", spec.Module, err)
	}
	return e, nil
}

// GetException implements registry.Store.
func (s *Store) GetException(ctx context.Context, id int64) (registry.Exception, error) {
	e, err := scanException(s.r.QueryRowContext(ctx, selectException+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("get exception: %w", registry.ExceptionNotFound(id))
	}
	if err != nil {
		return e, fmt.Errorf("get exception %d: %w", id, err)
	}
	return e, nil
}

// ListExceptions implements registry.Store.
func (s *Store) ListExceptions(ctx context.Context, q registry.ExceptionQuery) ([]registry.Exception, error) {
	if err := registry.ValidateModuleName(q.Module); err != nil {
		return nil, fmt.Errorf("list exceptions: %w", err)
	}
	where := []string{"module = ?"}
	args := []any{q.Module}
	if q.Digest != "" {
		where = append(where, "digest = ?")
		args = append(args, q.Digest)
	}
	if q.UnusedOnly {
		where = append(where, "used_version IS NULL")
	}
	rows, err := s.r.QueryContext(ctx, selectException+` WHERE `+strings.Join(where, " AND ")+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list exceptions of %s: %w", q.Module, err)
	}
	defer rows.Close()
	var out []registry.Exception
	for rows.Next() {
		e, err := scanException(rows)
		if err != nil {
			return nil, fmt.Errorf("list exceptions of %s: %w", q.Module, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list exceptions of %s: %w", q.Module, err)
	}
	return out, nil
}
