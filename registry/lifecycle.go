package registry

import (
	"fmt"
	"strings"
	"time"
)

// The lifecycle of what the registry holds, driven by admins and recorded
// (who, when, why) both on the thing and as a LifecycleEvent:
//
//   - a subject is retired when its data no longer matters (a typo, a table
//     dropped): it is no longer checked nor required to have a message
//     (SUBJECT_NO_DELETE no longer fires for it), but its ledger is kept, so
//     its field numbers, names and JSON names stay taken. A later push that
//     declares it again makes it active again, as it was: checked against
//     its kept ledger, and its configuration at retirement is the baseline
//     of governed configuration (declaring it weaker is a finding);
//   - a module is deprecated with a message for its users: it is still
//     served and still accepts pushes, and every read and push shows the
//     message;
//   - a version is deleted from serving: its content, descriptor set and
//     ledger entries stay, it stays in the outbox and in history checks, and
//     it stays the compatibility baseline when it is the latest accepted
//     version (data may have been written with it); readers asking for it
//     get a NotFound error saying who deleted it, when and why, and readers
//     asking for latest get the newest version not deleted.

// SubjectRetirement records an admin's retirement of a subject.
type SubjectRetirement struct {
	// Principal is the admin who retired it.
	Principal string
	// At is when.
	At time.Time
	// Reason is why.
	Reason string
	// Version is the module's latest version when it was retired: a push
	// after it that declares the subject makes it active again.
	Version int64
}

// ModuleDeprecation is an admin's deprecation of a module.
type ModuleDeprecation struct {
	// Message tells the module's users what to do instead.
	Message string
	// Principal is the admin who deprecated it.
	Principal string
	// At is when.
	At time.Time
}

// VersionDeletion records an admin's deletion of a version from serving.
type VersionDeletion struct {
	// Reason is why it was deleted.
	Reason string
	// Principal is the admin who deleted it.
	Principal string
	// At is when.
	At time.Time
}

// LifecycleAction names an admin's lifecycle action.
type LifecycleAction string

// The lifecycle actions.
const (
	ActionSubjectRetired    LifecycleAction = "subject.retired"
	ActionModuleDeprecated  LifecycleAction = "module.deprecated"
	ActionModuleUndeprecate LifecycleAction = "module.undeprecated"
	ActionVersionDeleted    LifecycleAction = "version.deleted"
	ActionVersionRestored   LifecycleAction = "version.restored"
)

// LifecycleEvent is one recorded lifecycle action: the audit trail of
// retirements, deprecations, deletions and restorations.
type LifecycleEvent struct {
	// ID orders the events of the store.
	ID int64
	// Module is the module acted on.
	Module string
	// Action is what was done.
	Action LifecycleAction
	// Subject is the subject retired, for ActionSubjectRetired.
	Subject string
	// Version is the version deleted or restored, for the version actions.
	Version int64
	// Text is the reason of a retirement or deletion, or a deprecation's
	// message.
	Text string
	// Principal is the admin who acted.
	Principal string
	// At is when.
	At time.Time
}

// RetireSubjectRequest asks to retire a subject.
type RetireSubjectRequest struct {
	// Module and Subject name the subject, which must exist.
	Module  string
	Subject string
	// Reason says why; it is recorded.
	Reason string
	// Principal is the admin retiring it.
	Principal string
}

// Validate returns an *InvalidArgumentError if r is malformed.
func (r RetireSubjectRequest) Validate() error {
	if err := ValidateModuleName(r.Module); err != nil {
		return err
	}
	if err := ValidateSubjectName("subject", r.Subject); err != nil {
		return err
	}
	if r.Principal == "" {
		return invalid("principal", "no principal: say who retires the subject")
	}
	if strings.TrimSpace(r.Reason) == "" {
		return invalid("reason", "no reason: say why the subject's data no longer needs checking; it is recorded with your name")
	}
	return nil
}

// DeprecateModuleRequest asks to deprecate a module.
type DeprecateModuleRequest struct {
	// Module is the module, which must exist.
	Module string
	// Message tells its users what to do instead, e.g. "use
	// acme/billing-v2"; it is shown on every read and push.
	Message string
	// Principal is the admin deprecating it.
	Principal string
}

// Validate returns an *InvalidArgumentError if r is malformed.
func (r DeprecateModuleRequest) Validate() error {
	if err := ValidateModuleName(r.Module); err != nil {
		return err
	}
	if r.Principal == "" {
		return invalid("principal", "no principal: say who deprecates the module")
	}
	if strings.TrimSpace(r.Message) == "" {
		return invalid("message", "no message: tell the module's users what to use instead")
	}
	return nil
}

// DeleteVersionRequest asks to delete a version from serving.
type DeleteVersionRequest struct {
	// Module and Version name the version, which must exist; Version is a
	// number, never LatestVersion.
	Module  string
	Version int64
	// Reason says why; readers of the version are told.
	Reason string
	// Principal is the admin deleting it.
	Principal string
}

// Validate returns an *InvalidArgumentError if r is malformed.
func (r DeleteVersionRequest) Validate() error {
	if err := ValidateModuleName(r.Module); err != nil {
		return err
	}
	if err := validateVersionNumber(r.Version); err != nil {
		return err
	}
	if r.Principal == "" {
		return invalid("principal", "no principal: say who deletes the version")
	}
	if strings.TrimSpace(r.Reason) == "" {
		return invalid("reason", "no reason: say why the version may no longer be served; its readers are told")
	}
	return nil
}

// validateVersionNumber refuses anything but a version number: lifecycle
// actions name their version, never "latest".
func validateVersionNumber(n int64) error {
	if n <= 0 {
		return invalid("version", "%d is not a version number: name the version (1, 2, …), not latest", n)
	}
	return nil
}

// ErrVersionDeleted is matched by a *VersionDeletedError.
var ErrVersionDeleted = fmt.Errorf("version deleted: %w", ErrNotFound)

// VersionDeletedError is returned to readers of a deleted version, and to
// readers of latest when every version of the module is deleted. It
// matches ErrNotFound and ErrVersionDeleted.
type VersionDeletedError struct {
	// Version is the deleted version (the latest one, when none is left
	// to serve).
	Version Version
	// NoneServed reports that the reader asked for latest and every
	// version is deleted.
	NoneServed bool
}

// Error says who deleted the version, when and why, and what to do.
func (e *VersionDeletedError) Error() string {
	d := e.Version.Deleted
	var by string
	if d != nil {
		by = fmt.Sprintf(" by %s at %s: %s", d.Principal, d.At.UTC().Format(time.RFC3339), strings.TrimSpace(d.Reason))
	}
	restore := fmt.Sprintf("ask an admin to run `pbcheck registry restore %s@%d`", e.Version.Module, e.Version.Number)
	if e.NoneServed {
		return fmt.Sprintf("module %s has no version to serve: every version is deleted, the latest (version %d)%s; %s",
			e.Version.Module, e.Version.Number, by, restore)
	}
	return fmt.Sprintf("version %d of %s was deleted%s; it is no longer served: read another version (pbcheck registry ls %s), or %s",
		e.Version.Number, e.Version.Module, by, e.Version.Module, restore)
}

// Is reports whether target is ErrNotFound or ErrVersionDeleted.
func (e *VersionDeletedError) Is(target error) bool {
	return target == ErrNotFound || target == ErrVersionDeleted
}

// The lifecycle writes' decisions, which every Store applies in its
// transaction to the row it read: the event to record, or nil when the
// write changes nothing (repeating an action is not an error).

// RetirementEvent is the event of retiring sub, read in the write's
// transaction, as of the module's latest version.
func RetirementEvent(sub Subject, latest int64, r RetireSubjectRequest, at time.Time) *LifecycleEvent {
	if sub.Retired != nil {
		return nil
	}
	return &LifecycleEvent{Module: r.Module, Action: ActionSubjectRetired, Subject: r.Subject, Version: latest,
		Text: r.Reason, Principal: r.Principal, At: at}
}

// DeprecationEvent is the event of deprecating m with message, or of
// clearing its deprecation when message is nil.
func DeprecationEvent(m Module, message *string, principal string, at time.Time) *LifecycleEvent {
	switch {
	case message == nil && m.Deprecation == nil,
		message != nil && m.Deprecation != nil && m.Deprecation.Message == *message:
		return nil
	case message == nil:
		return &LifecycleEvent{Module: m.Name, Action: ActionModuleUndeprecate, Principal: principal, At: at}
	}
	return &LifecycleEvent{Module: m.Name, Action: ActionModuleDeprecated, Text: *message, Principal: principal, At: at}
}

// DeletionEvent is the event of deleting v from serving for reason, or of
// restoring it when reason is nil.
func DeletionEvent(v Version, reason *string, principal string, at time.Time) *LifecycleEvent {
	switch {
	case reason == nil && v.Deleted == nil, reason != nil && v.Deleted != nil:
		return nil
	case reason == nil:
		return &LifecycleEvent{Module: v.Module, Action: ActionVersionRestored, Version: v.Number, Principal: principal, At: at}
	}
	return &LifecycleEvent{Module: v.Module, Action: ActionVersionDeleted, Version: v.Number, Text: *reason, Principal: principal, At: at}
}
