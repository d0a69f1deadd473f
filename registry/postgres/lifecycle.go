package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pbregistry/pbregistry/registry"
)

// lifecycleTx runs an admin's lifecycle write on module in one transaction
// that first locks the module's row (FOR UPDATE), as pushes do: a
// retirement or deletion and a push to the module take turns. do does what
// it must and reports whether it changed anything.
func (s *Store) lifecycleTx(ctx context.Context, op, module string, do func(tx pgx.Tx, m registry.Module, at time.Time) (bool, error)) (bool, error) {
	if err := s.writable(op); err != nil {
		return false, err
	}
	var changed bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		m, err := scanModule(tx.QueryRow(ctx, selectModule+` WHERE name = $1 AND latest_version > 0 FOR UPDATE`, module))
		if errors.Is(err, pgx.ErrNoRows) {
			return registry.ModuleNotFound(module)
		}
		if err != nil {
			return err
		}
		changed, err = do(tx, m, now())
		return err
	})
	if err != nil {
		return false, fmt.Errorf("%s: %w", op, s.pool.busy(ctx, err, module))
	}
	return changed, nil
}

// recordEvent writes a lifecycle event.
func recordEvent(ctx context.Context, tx pgx.Tx, e registry.LifecycleEvent) error {
	if _, err := tx.Exec(ctx, `INSERT INTO lifecycle_events (module, action, subject, version, text, principal, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, e.Module, string(e.Action), e.Subject, e.Version, e.Text, e.Principal, e.At); err != nil {
		return fmt.Errorf("record %s: %w", e.Action, err)
	}
	return nil
}

// versionTx reads version number of module in tx.
func versionTx(ctx context.Context, tx pgx.Tx, module string, number int64) (registry.Version, error) {
	v, err := scanVersion(tx.QueryRow(ctx, selectVersion+` WHERE m.name = $1 AND v.number = $2`, module, number))
	if errors.Is(err, pgx.ErrNoRows) {
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
	changed, err := s.lifecycleTx(ctx, "retire subject "+r.Module+":"+r.Subject, r.Module, func(tx pgx.Tx, m registry.Module, at time.Time) (bool, error) {
		var err error
		if sub, err = getSubject(ctx, tx, r.Module, r.Subject); err != nil {
			return false, err
		}
		e := registry.RetirementEvent(sub, m.LatestVersion, r, at)
		if e == nil {
			return false, nil
		}
		if _, err := tx.Exec(ctx, `UPDATE subjects SET retired_version = $3, retired_by = $4, retired_at = $5, retired_reason = $6
			WHERE module_id = (SELECT id FROM modules WHERE name = $1) AND name = $2`,
			r.Module, r.Subject, e.Version, e.Principal, e.At, e.Text); err != nil {
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
	var out registry.Module
	changed, err := s.lifecycleTx(ctx, op, module, func(tx pgx.Tx, m registry.Module, at time.Time) (bool, error) {
		out = m
		e := registry.DeprecationEvent(m, message, principal, at)
		if e == nil {
			return false, nil
		}
		args := []any{nil, nil, nil}
		if e.Action == registry.ActionModuleDeprecated {
			args = []any{e.Text, e.Principal, e.At}
		}
		if _, err := tx.Exec(ctx, `UPDATE modules SET deprecation_message = $2, deprecated_by = $3, deprecated_at = $4 WHERE name = $1`,
			append([]any{module}, args...)...); err != nil {
			return false, err
		}
		if err := recordEvent(ctx, tx, *e); err != nil {
			return false, err
		}
		var err error
		out, err = scanModule(tx.QueryRow(ctx, selectModule+` WHERE name = $1`, module))
		return true, err
	})
	return out, changed, err
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
	changed, err := s.lifecycleTx(ctx, op, module, func(tx pgx.Tx, _ registry.Module, at time.Time) (bool, error) {
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
			args = []any{e.At, e.Principal, e.Text}
		}
		if _, err := tx.Exec(ctx, `UPDATE versions SET deleted_at = $3, deleted_by = $4, deleted_reason = $5
			WHERE module_id = (SELECT id FROM modules WHERE name = $1) AND number = $2`, append([]any{module, number}, args...)...); err != nil {
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
