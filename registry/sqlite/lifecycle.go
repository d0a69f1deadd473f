package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pbregistry/pbregistry/registry"
)

// lifecycleTx runs an admin's lifecycle write in one BEGIN IMMEDIATE
// transaction (the database's write lock: pushes wait), which does what
// it must and reports whether it changed anything.
func (s *Store) lifecycleTx(ctx context.Context, op string, do func(tx *sql.Tx, at time.Time) (bool, error)) (bool, error) {
	if err := s.writable(op); err != nil {
		return false, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("%s: begin: %w", op, err)
	}
	defer tx.Rollback()
	changed, err := do(tx, now())
	if err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("%s: commit: %w", op, err)
	}
	return changed, nil
}

// recordEvent writes a lifecycle event.
func recordEvent(ctx context.Context, tx *sql.Tx, e registry.LifecycleEvent) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO lifecycle_events (module, action, subject, version, text, principal, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, e.Module, string(e.Action), e.Subject, e.Version, e.Text, e.Principal, toMicros(e.At)); err != nil {
		return fmt.Errorf("record %s: %w", e.Action, err)
	}
	return nil
}

// moduleTx reads a module in tx.
func moduleTx(ctx context.Context, tx *sql.Tx, module string) (registry.Module, error) {
	m, err := scanModule(tx.QueryRowContext(ctx, selectModule+` WHERE name = ?`, module))
	if errors.Is(err, sql.ErrNoRows) {
		return m, registry.ModuleNotFound(module)
	}
	return m, err
}

// versionTx reads version number of module in tx.
func versionTx(ctx context.Context, tx *sql.Tx, module string, number int64) (registry.Version, error) {
	v, err := scanVersion(tx.QueryRowContext(ctx, selectVersion+` WHERE m.name = ? AND v.number = ?`, module, number))
	if errors.Is(err, sql.ErrNoRows) {
		return v, registry.VersionNotFound(module, number)
	}
	return v, err
}

// RetireSubject implements registry.Store.
func (s *Store) RetireSubject(ctx context.Context, r registry.RetireSubjectRequest) (registry.Subject, bool, error) {
	if err := r.Validate(); err != nil {
		return registry.Subject{}, false, fmt.Errorf("retire subject: %w", err)
	}
	var sub registry.Subject
	changed, err := s.lifecycleTx(ctx, "retire subject "+r.Module+":"+r.Subject, func(tx *sql.Tx, at time.Time) (bool, error) {
		m, err := moduleTx(ctx, tx, r.Module)
		if err != nil {
			return false, err
		}
		if sub, err = getSubject(ctx, tx, r.Module, r.Subject); err != nil {
			return false, err
		}
		e := registry.RetirementEvent(sub, m.LatestVersion, r, at)
		if e == nil {
			return false, nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subjects SET retired_version = ?, retired_by = ?, retired_at = ?, retired_reason = ?
			WHERE module_id = (SELECT id FROM modules WHERE name = ?) AND name = ?`,
			e.Version, e.Principal, toMicros(e.At), e.Text, r.Module, r.Subject); err != nil {
			return false, err
		}
		if err := recordEvent(ctx, tx, *e); err != nil {
			return false, err
		}
		sub, err = getSubject(ctx, tx, r.Module, r.Subject)
		return true, err
	})
	return sub, changed, err
}

// DeprecateModule implements registry.Store.
func (s *Store) DeprecateModule(ctx context.Context, r registry.DeprecateModuleRequest) (registry.Module, bool, error) {
	if err := r.Validate(); err != nil {
		return registry.Module{}, false, fmt.Errorf("deprecate module: %w", err)
	}
	return s.setDeprecation(ctx, "deprecate module "+r.Module, r.Module, &r.Message, r.Principal)
}

// UndeprecateModule implements registry.Store.
func (s *Store) UndeprecateModule(ctx context.Context, module, principal string) (registry.Module, bool, error) {
	return s.setDeprecation(ctx, "undeprecate module "+module, module, nil, principal)
}

// setDeprecation sets a module's deprecation message, or clears it when
// message is nil.
func (s *Store) setDeprecation(ctx context.Context, op, module string, message *string, principal string) (registry.Module, bool, error) {
	var m registry.Module
	changed, err := s.lifecycleTx(ctx, op, func(tx *sql.Tx, at time.Time) (bool, error) {
		var err error
		if m, err = moduleTx(ctx, tx, module); err != nil {
			return false, err
		}
		e := registry.DeprecationEvent(m, message, principal, at)
		if e == nil {
			return false, nil
		}
		args := []any{nil, nil, nil}
		if e.Action == registry.ActionModuleDeprecated {
			args = []any{e.Text, e.Principal, toMicros(e.At)}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE modules SET deprecation_message = ?, deprecated_by = ?, deprecated_at = ? WHERE name = ?`,
			append(args, module)...); err != nil {
			return false, err
		}
		if err := recordEvent(ctx, tx, *e); err != nil {
			return false, err
		}
		m, err = moduleTx(ctx, tx, module)
		return true, err
	})
	return m, changed, err
}

// DeleteVersion implements registry.Store.
func (s *Store) DeleteVersion(ctx context.Context, r registry.DeleteVersionRequest) (registry.Version, bool, error) {
	if err := r.Validate(); err != nil {
		return registry.Version{}, false, fmt.Errorf("delete version: %w", err)
	}
	return s.setDeletion(ctx, "delete version "+registry.VersionKey(r.Module, r.Version), r.Module, r.Version, &r.Reason, r.Principal)
}

// RestoreVersion implements registry.Store.
func (s *Store) RestoreVersion(ctx context.Context, module string, number int64, principal string) (registry.Version, bool, error) {
	if number <= 0 {
		return registry.Version{}, false, &registry.InvalidArgumentError{Field: "version", Problem: fmt.Sprintf("%d is not a version number", number)}
	}
	return s.setDeletion(ctx, "restore version "+registry.VersionKey(module, number), module, number, nil, principal)
}

// setDeletion deletes a version from serving with reason, or restores it
// when reason is nil.
func (s *Store) setDeletion(ctx context.Context, op, module string, number int64, reason *string, principal string) (registry.Version, bool, error) {
	var v registry.Version
	changed, err := s.lifecycleTx(ctx, op, func(tx *sql.Tx, at time.Time) (bool, error) {
		var err error
		if v, err = versionTx(ctx, tx, module, number); err != nil {
			return false, err
		}
		e := registry.DeletionEvent(v, reason, principal, at)
		if e == nil {
			return false, nil
		}
		args := []any{nil, nil, nil}
		if e.Action == registry.ActionVersionDeleted {
			args = []any{toMicros(e.At), e.Principal, e.Text}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE versions SET deleted_at = ?, deleted_by = ?, deleted_reason = ?
			WHERE module_id = (SELECT id FROM modules WHERE name = ?) AND number = ?`, append(args, module, number)...); err != nil {
			return false, err
		}
		if err := recordEvent(ctx, tx, *e); err != nil {
			return false, err
		}
		v, err = versionTx(ctx, tx, module, number)
		return true, err
	})
	return v, changed, err
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
