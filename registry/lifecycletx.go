package registry

import (
	"context"
	"fmt"
	"time"
)

// LifecycleTx is the SQL of one lifecycle write (retire a subject,
// deprecate a module, delete a version from serving, and their undoing),
// which each store implements over its own transaction. The functions
// below own the steps — read the current state, decide with
// RetirementEvent, DeprecationEvent or DeletionEvent whether anything
// changes, write it, record the event, read the result back — so that a
// LifecycleTx only reads and writes rows.
type LifecycleTx interface {
	// Module reads module, or returns a *NotFoundError.
	Module(ctx context.Context, module string) (Module, error)
	// Subject reads a subject, or returns a *NotFoundError.
	Subject(ctx context.Context, module, subject string) (Subject, error)
	// Version reads version number of module, or returns a *NotFoundError.
	Version(ctx context.Context, module string, number int64) (Version, error)
	// SetRetired records the retirement e of subject e.Subject.
	SetRetired(ctx context.Context, e LifecycleEvent) error
	// SetDeprecation sets module's deprecation to d, or clears it when d
	// is nil.
	SetDeprecation(ctx context.Context, module string, d *ModuleDeprecation) error
	// SetDeletion sets the deletion of version number of module to d, or
	// clears it (restores the version) when d is nil.
	SetDeletion(ctx context.Context, module string, number int64, d *VersionDeletion) error
	// RecordEvent writes a lifecycle event.
	RecordEvent(ctx context.Context, e LifecycleEvent) error
}

// LifecycleTxRunner runs fn in one transaction of a store on module — the
// store takes its turn with pushes to the module — and wraps its errors
// with op; at is the time of the write. It commits when fn returns nil and
// returns fn's changed.
type LifecycleTxRunner func(ctx context.Context, op, module string, fn func(tx LifecycleTx, at time.Time) (changed bool, err error)) (bool, error)

// RetireSubjectTx is Store.RetireSubject for every store: it validates r
// and, unless the subject is retired already, retires it at the module's
// latest version.
func RetireSubjectTx(ctx context.Context, r RetireSubjectRequest, run LifecycleTxRunner) (Subject, bool, error) {
	if err := r.Validate(); err != nil {
		return Subject{}, false, fmt.Errorf("retire subject: %w", err)
	}
	var sub Subject
	changed, err := run(ctx, "retire subject "+r.Module+":"+r.Subject, r.Module, func(tx LifecycleTx, at time.Time) (bool, error) {
		m, err := tx.Module(ctx, r.Module)
		if err != nil {
			return false, err
		}
		if sub, err = tx.Subject(ctx, r.Module, r.Subject); err != nil {
			return false, err
		}
		e := RetirementEvent(sub, m.LatestVersion, r, at)
		if e == nil {
			return false, nil
		}
		if err := tx.SetRetired(ctx, *e); err != nil {
			return false, err
		}
		if err := tx.RecordEvent(ctx, *e); err != nil {
			return false, err
		}
		sub, err = tx.Subject(ctx, r.Module, r.Subject)
		return true, err
	})
	return sub, changed, err
}

// DeprecateModuleTx is Store.DeprecateModule for every store.
func DeprecateModuleTx(ctx context.Context, r DeprecateModuleRequest, run LifecycleTxRunner) (Module, bool, error) {
	if err := r.Validate(); err != nil {
		return Module{}, false, fmt.Errorf("deprecate module: %w", err)
	}
	return setDeprecation(ctx, run, "deprecate module "+r.Module, r.Module, &r.Message, r.Principal)
}

// UndeprecateModuleTx is Store.UndeprecateModule for every store.
func UndeprecateModuleTx(ctx context.Context, module, principal string, run LifecycleTxRunner) (Module, bool, error) {
	return setDeprecation(ctx, run, "undeprecate module "+module, module, nil, principal)
}

// setDeprecation sets a module's deprecation message, or clears it when
// message is nil.
func setDeprecation(ctx context.Context, run LifecycleTxRunner, op, module string, message *string, principal string) (Module, bool, error) {
	var m Module
	changed, err := run(ctx, op, module, func(tx LifecycleTx, at time.Time) (bool, error) {
		var err error
		if m, err = tx.Module(ctx, module); err != nil {
			return false, err
		}
		e := DeprecationEvent(m, message, principal, at)
		if e == nil {
			return false, nil
		}
		var d *ModuleDeprecation
		if e.Action == ActionModuleDeprecated {
			d = &ModuleDeprecation{Message: e.Text, Principal: e.Principal, At: e.At}
		}
		if err := tx.SetDeprecation(ctx, module, d); err != nil {
			return false, err
		}
		if err := tx.RecordEvent(ctx, *e); err != nil {
			return false, err
		}
		m, err = tx.Module(ctx, module)
		return true, err
	})
	return m, changed, err
}

// DeleteVersionTx is Store.DeleteVersion for every store.
func DeleteVersionTx(ctx context.Context, r DeleteVersionRequest, run LifecycleTxRunner) (Version, bool, error) {
	if err := r.Validate(); err != nil {
		return Version{}, false, fmt.Errorf("delete version: %w", err)
	}
	return setDeletion(ctx, run, "delete version "+VersionKey(r.Module, r.Version), r.Module, r.Version, &r.Reason, r.Principal)
}

// RestoreVersionTx is Store.RestoreVersion for every store.
func RestoreVersionTx(ctx context.Context, module string, number int64, principal string, run LifecycleTxRunner) (Version, bool, error) {
	if number <= 0 {
		return Version{}, false, &InvalidArgumentError{Field: "version", Problem: fmt.Sprintf("%d is not a version number", number)}
	}
	return setDeletion(ctx, run, "restore version "+VersionKey(module, number), module, number, nil, principal)
}

// setDeletion deletes a version from serving with reason, or restores it
// when reason is nil.
func setDeletion(ctx context.Context, run LifecycleTxRunner, op, module string, number int64, reason *string, principal string) (Version, bool, error) {
	var v Version
	changed, err := run(ctx, op, module, func(tx LifecycleTx, at time.Time) (bool, error) {
		var err error
		if v, err = tx.Version(ctx, module, number); err != nil {
			return false, err
		}
		e := DeletionEvent(v, reason, principal, at)
		if e == nil {
			return false, nil
		}
		var d *VersionDeletion
		if e.Action == ActionVersionDeleted {
			d = &VersionDeletion{Reason: e.Text, Principal: e.Principal, At: e.At}
		}
		if err := tx.SetDeletion(ctx, module, number, d); err != nil {
			return false, err
		}
		if err := tx.RecordEvent(ctx, *e); err != nil {
			return false, err
		}
		v, err = tx.Version(ctx, module, number)
		return true, err
	})
	return v, changed, err
}
