package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pbregistry/pbregistry/registry"
)

// lifecycleTx is the registry.LifecycleTxRunner of the store: one
// transaction that first locks the module's row (FOR UPDATE), as pushes
// do, so that a retirement or deletion and a push to the module take
// turns.
func (s *Store) lifecycleTx(ctx context.Context, op, module string, fn func(tx registry.LifecycleTx, at time.Time) (bool, error)) (bool, error) {
	if err := s.writable(op); err != nil {
		return false, err
	}
	var changed bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := scanModule(tx.QueryRow(ctx, selectModule+` WHERE name = $1 AND latest_version > 0 FOR UPDATE`, module))
		if errors.Is(err, pgx.ErrNoRows) {
			return registry.ModuleNotFound(module)
		}
		if err != nil {
			return err
		}
		changed, err = fn(lifecycleTx{tx}, now())
		return err
	})
	if err != nil {
		return false, fmt.Errorf("%s: %w", op, s.pool.busy(ctx, err, module))
	}
	return changed, nil
}

// lifecycleTx implements registry.LifecycleTx.
type lifecycleTx struct{ tx pgx.Tx }

// Module implements registry.LifecycleTx.
func (t lifecycleTx) Module(ctx context.Context, module string) (registry.Module, error) {
	m, err := scanModule(t.tx.QueryRow(ctx, selectModule+` WHERE name = $1`, module))
	if errors.Is(err, pgx.ErrNoRows) {
		return m, registry.ModuleNotFound(module)
	}
	return m, err
}

// Subject implements registry.LifecycleTx.
func (t lifecycleTx) Subject(ctx context.Context, module, subject string) (registry.Subject, error) {
	return getSubject(ctx, t.tx, module, subject)
}

// Version implements registry.LifecycleTx.
func (t lifecycleTx) Version(ctx context.Context, module string, number int64) (registry.Version, error) {
	v, err := scanVersion(t.tx.QueryRow(ctx, selectVersion+` WHERE m.name = $1 AND v.number = $2`, module, number))
	if errors.Is(err, pgx.ErrNoRows) {
		return v, registry.VersionNotFound(module, number)
	}
	return v, err
}

// SetRetired implements registry.LifecycleTx.
func (t lifecycleTx) SetRetired(ctx context.Context, e registry.LifecycleEvent) error {
	_, err := t.tx.Exec(ctx, `UPDATE subjects SET retired_version = $3, retired_by = $4, retired_at = $5, retired_reason = $6
		WHERE module_id = (SELECT id FROM modules WHERE name = $1) AND name = $2`,
		e.Module, e.Subject, e.Version, e.Principal, e.At, e.Text)
	return err
}

// SetDeprecation implements registry.LifecycleTx.
func (t lifecycleTx) SetDeprecation(ctx context.Context, module string, d *registry.ModuleDeprecation) error {
	args := []any{nil, nil, nil}
	if d != nil {
		args = []any{d.Message, d.Principal, d.At}
	}
	_, err := t.tx.Exec(ctx, `UPDATE modules SET deprecation_message = $2, deprecated_by = $3, deprecated_at = $4 WHERE name = $1`,
		append([]any{module}, args...)...)
	return err
}

// SetDeletion implements registry.LifecycleTx.
func (t lifecycleTx) SetDeletion(ctx context.Context, module string, number int64, d *registry.VersionDeletion) error {
	args := []any{nil, nil, nil}
	if d != nil {
		args = []any{d.At, d.Principal, d.Reason}
	}
	_, err := t.tx.Exec(ctx, `UPDATE versions SET deleted_at = $3, deleted_by = $4, deleted_reason = $5
		WHERE module_id = (SELECT id FROM modules WHERE name = $1) AND number = $2`, append([]any{module, number}, args...)...)
	return err
}

// RecordEvent implements registry.LifecycleTx.
func (t lifecycleTx) RecordEvent(ctx context.Context, e registry.LifecycleEvent) error {
	if _, err := t.tx.Exec(ctx, `INSERT INTO lifecycle_events (module, action, subject, version, text, principal, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, e.Module, string(e.Action), e.Subject, e.Version, e.Text, e.Principal, e.At); err != nil {
		return fmt.Errorf("record %s: %w", e.Action, err)
	}
	return nil
}

// RetireSubject implements registry.Store.
func (s *Store) RetireSubject(ctx context.Context, r registry.RetireSubjectRequest) (registry.Subject, bool, error) {
	return registry.RetireSubjectTx(ctx, r, s.lifecycleTx)
}

// DeprecateModule implements registry.Store.
func (s *Store) DeprecateModule(ctx context.Context, r registry.DeprecateModuleRequest) (registry.Module, bool, error) {
	return registry.DeprecateModuleTx(ctx, r, s.lifecycleTx)
}

// UndeprecateModule implements registry.Store.
func (s *Store) UndeprecateModule(ctx context.Context, module, principal string) (registry.Module, bool, error) {
	return registry.UndeprecateModuleTx(ctx, module, principal, s.lifecycleTx)
}

// DeleteVersion implements registry.Store.
func (s *Store) DeleteVersion(ctx context.Context, r registry.DeleteVersionRequest) (registry.Version, bool, error) {
	return registry.DeleteVersionTx(ctx, r, s.lifecycleTx)
}

// RestoreVersion implements registry.Store.
func (s *Store) RestoreVersion(ctx context.Context, module string, number int64, principal string) (registry.Version, bool, error) {
	return registry.RestoreVersionTx(ctx, module, number, principal, s.lifecycleTx)
}

// LatestServedVersion implements registry.Store. It walks the module's
// versions down from the latest through the primary key and stops at the
// first one not deleted.
func (s *Store) LatestServedVersion(ctx context.Context, module string) (registry.Version, error) {
	id, _, err := s.resolve(ctx, module, registry.LatestVersion)
	if err != nil {
		return registry.Version{}, fmt.Errorf("latest served version of %s: %w", module, err)
	}
	v, err := scanVersion(s.pool.QueryRow(ctx, selectVersion+` WHERE v.module_id = $1 AND v.deleted_at IS NULL
		ORDER BY v.number DESC LIMIT 1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = registry.NoServedVersion(module)
	}
	if err != nil {
		return registry.Version{}, fmt.Errorf("latest served version of %s: %w", module, err)
	}
	return v, nil
}

// ListLifecycleEvents implements registry.Store. It pages backwards
// through the index on (module, id).
func (s *Store) ListLifecycleEvents(ctx context.Context, module string, page registry.PageRequest) (registry.Page[registry.LifecycleEvent], error) {
	var moduleErr error
	out, err := registry.ListPageInt("lifecycle", page, func(before int64, n int) ([]registry.LifecycleEvent, error) {
		if _, moduleErr = s.GetModule(ctx, module); moduleErr != nil {
			return nil, moduleErr
		}
		if before == 0 {
			before = 1<<63 - 1
		}
		rows, err := s.pool.Query(ctx, `SELECT id, module, action, subject, version, text, principal, at FROM lifecycle_events
		WHERE module = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, module, before, n)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, func(r pgx.CollectableRow) (registry.LifecycleEvent, error) {
			var e registry.LifecycleEvent
			var action string
			err := r.Scan(&e.ID, &e.Module, &action, &e.Subject, &e.Version, &e.Text, &e.Principal, &e.At)
			e.Action, e.At = registry.LifecycleAction(action), e.At.UTC()
			return e, err
		})
	}, func(e registry.LifecycleEvent) int64 { return e.ID })
	if moduleErr != nil {
		return out, fmt.Errorf("list lifecycle events: %w", moduleErr)
	}
	if err != nil {
		return out, fmt.Errorf("list lifecycle events of %s: %w", module, err)
	}
	return out, nil
}
