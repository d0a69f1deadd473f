package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pbregistry/pbregistry/registry"
)

// lifecycleTx is the registry.LifecycleTxRunner of the store: one BEGIN
// IMMEDIATE transaction (the database's write lock: pushes wait).
func (s *Store) lifecycleTx(ctx context.Context, op, _ string, fn func(tx registry.LifecycleTx, at time.Time) (bool, error)) (bool, error) {
	if err := s.writable(op); err != nil {
		return false, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("%s: begin: %w", op, err)
	}
	defer tx.Rollback()
	changed, err := fn(lifecycleTx{tx}, now())
	if err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("%s: commit: %w", op, err)
	}
	return changed, nil
}

// lifecycleTx implements registry.LifecycleTx.
type lifecycleTx struct{ tx *sql.Tx }

// Module implements registry.LifecycleTx.
func (t lifecycleTx) Module(ctx context.Context, module string) (registry.Module, error) {
	m, err := scanModule(t.tx.QueryRowContext(ctx, selectModule+` WHERE name = ?`, module))
	if errors.Is(err, sql.ErrNoRows) {
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
	v, err := scanVersion(t.tx.QueryRowContext(ctx, selectVersion+` WHERE m.name = ? AND v.number = ?`, module, number))
	if errors.Is(err, sql.ErrNoRows) {
		return v, registry.VersionNotFound(module, number)
	}
	return v, err
}

// SetRetired implements registry.LifecycleTx.
func (t lifecycleTx) SetRetired(ctx context.Context, e registry.LifecycleEvent) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE subjects SET retired_version = ?, retired_by = ?, retired_at = ?, retired_reason = ?
		WHERE module_id = (SELECT id FROM modules WHERE name = ?) AND name = ?`,
		e.Version, e.Principal, toMicros(e.At), e.Text, e.Module, e.Subject)
	return err
}

// SetDeprecation implements registry.LifecycleTx.
func (t lifecycleTx) SetDeprecation(ctx context.Context, module string, d *registry.ModuleDeprecation) error {
	args := []any{nil, nil, nil}
	if d != nil {
		args = []any{d.Message, d.Principal, toMicros(d.At)}
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE modules SET deprecation_message = ?, deprecated_by = ?, deprecated_at = ? WHERE name = ?`,
		append(args, module)...)
	return err
}

// SetDeletion implements registry.LifecycleTx.
func (t lifecycleTx) SetDeletion(ctx context.Context, module string, number int64, d *registry.VersionDeletion) error {
	args := []any{nil, nil, nil}
	if d != nil {
		args = []any{toMicros(d.At), d.Principal, d.Reason}
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE versions SET deleted_at = ?, deleted_by = ?, deleted_reason = ?
		WHERE module_id = (SELECT id FROM modules WHERE name = ?) AND number = ?`, append(args, module, number)...)
	return err
}

// RecordEvent implements registry.LifecycleTx.
func (t lifecycleTx) RecordEvent(ctx context.Context, e registry.LifecycleEvent) error {
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO lifecycle_events (module, action, subject, version, text, principal, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, e.Module, string(e.Action), e.Subject, e.Version, e.Text, e.Principal, toMicros(e.At)); err != nil {
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
	v, err := scanVersion(s.r.QueryRowContext(ctx, selectVersion+` WHERE v.module_id = ? AND v.deleted_at IS NULL
		ORDER BY v.number DESC LIMIT 1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = registry.NoServedVersion(module)
	}
	if err != nil {
		return registry.Version{}, fmt.Errorf("latest served version of %s: %w", module, err)
	}
	return v, nil
}

// ListLifecycleEvents implements registry.Store.
func (s *Store) ListLifecycleEvents(ctx context.Context, module string, page registry.PageRequest) (registry.Page[registry.LifecycleEvent], error) {
	var moduleErr error
	out, err := registry.ListPageInt("lifecycle", page, func(before int64, n int) ([]registry.LifecycleEvent, error) {
		if _, moduleErr = s.GetModule(ctx, module); moduleErr != nil {
			return nil, moduleErr
		}
		if before == 0 {
			before = 1<<63 - 1
		}
		rows, err := s.r.QueryContext(ctx, `SELECT id, module, action, subject, version, text, principal, at FROM lifecycle_events
		WHERE module = ? AND id < ? ORDER BY id DESC LIMIT ?`, module, before, n)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var items []registry.LifecycleEvent
		for rows.Next() {
			var e registry.LifecycleEvent
			var action string
			var at int64
			if err := rows.Scan(&e.ID, &e.Module, &action, &e.Subject, &e.Version, &e.Text, &e.Principal, &at); err != nil {
				return nil, err
			}
			e.Action, e.At = registry.LifecycleAction(action), fromMicros(at)
			items = append(items, e)
		}
		return items, rows.Err()
	}, func(e registry.LifecycleEvent) int64 { return e.ID })
	if moduleErr != nil {
		return out, fmt.Errorf("list lifecycle events: %w", moduleErr)
	}
	if err != nil {
		return out, fmt.Errorf("list lifecycle events of %s: %w", module, err)
	}
	return out, nil
}
