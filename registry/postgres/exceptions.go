package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pbregistry/pbregistry/registry"
)

// selectException selects the columns scanException reads.
const selectException = `SELECT id, module, digest, rule, element, reason, principal, created_at, used_version, used_at FROM exceptions`

// scanException reads a row of selectException.
func scanException(row pgx.Row) (registry.Exception, error) {
	var e registry.Exception
	var usedVersion *int64
	var usedAt *time.Time
	if err := row.Scan(&e.ID, &e.Module, &e.Digest, &e.Rule, &e.Element, &e.Reason, &e.Principal, &e.CreatedAt, &usedVersion, &usedAt); err != nil {
		return e, err
	}
	e.CreatedAt = e.CreatedAt.UTC()
	if usedVersion != nil {
		e.UsedVersion = *usedVersion
	}
	if usedAt != nil {
		e.UsedAt = usedAt.UTC()
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
	e, err := scanException(s.pool.QueryRow(ctx, `INSERT INTO exceptions (module, digest, rule, element, reason, principal, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING
		RETURNING id, module, digest, rule, element, reason, principal, created_at, used_version, used_at`,
		spec.Module, spec.Digest, spec.Rule, spec.Element, spec.Reason, spec.Principal, now()))
	if errors.Is(err, pgx.ErrNoRows) {
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
	e, err := scanException(s.pool.QueryRow(ctx, selectException+` WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return e, fmt.Errorf("get exception: %w", registry.ExceptionNotFound(id))
	}
	if err != nil {
		return e, fmt.Errorf("get exception %d: %w", id, err)
	}
	return e, nil
}

// ListExceptions implements registry.Store. It reads through the unique
// index on (module, digest, rule, element).
func (s *Store) ListExceptions(ctx context.Context, q registry.ExceptionQuery) ([]registry.Exception, error) {
	if err := registry.ValidateModuleName(q.Module); err != nil {
		return nil, fmt.Errorf("list exceptions: %w", err)
	}
	rows, err := s.pool.Query(ctx, selectException+` WHERE module = $1 AND ($2 = '' OR digest = $2)
		AND (NOT $3 OR used_version IS NULL) ORDER BY id`, q.Module, q.Digest, q.UnusedOnly)
	if err != nil {
		return nil, fmt.Errorf("list exceptions of %s: %w", q.Module, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (registry.Exception, error) { return scanException(r) })
	if err != nil {
		return nil, fmt.Errorf("list exceptions of %s: %w", q.Module, err)
	}
	return out, nil
}
