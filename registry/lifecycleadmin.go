package registry

import (
	"context"
	"errors"
	"fmt"
)

// RetireSubject retires a subject (admin): validated as other admin
// requests are (a bounded principal and reason, printable text), the
// module and subject must exist. Retiring a retired subject changes
// nothing. The retirement is logged at warning level when the latest
// version still declares the subject: the next push that declares it
// again makes it active again.
func (s *Service) RetireSubject(ctx context.Context, r RetireSubjectRequest) (Subject, bool, error) {
	if err := s.limits.CheckPrincipal(r.Principal); err != nil {
		return Subject{}, false, err
	}
	if err := r.Validate(); err != nil {
		return Subject{}, false, err
	}
	if err := checkLifecycleText("reason", r.Reason, s.limits.MaxReasonBytes); err != nil {
		return Subject{}, false, err
	}
	if _, err := s.existingSubject(ctx, r.Module, r.Subject); err != nil {
		return Subject{}, false, err
	}
	sub, changed, err := s.store.RetireSubject(ctx, r)
	if err != nil {
		return Subject{}, false, err
	}
	if !changed {
		return sub, false, nil
	}
	s.logger.InfoContext(ctx, "subject retired", "module", sub.Module, "subject", logString(sub.Name),
		"principal", logString(r.Principal), "reason", logString(r.Reason))
	if sub.Retired != nil && sub.LastVersion >= sub.Retired.Version {
		s.logger.WarnContext(ctx, "retired subject still declared by the latest version", "module", sub.Module,
			"subject", logString(sub.Name), "version", sub.LastVersion)
	}
	return sub, true, nil
}

// DeprecateModule deprecates a module (admin) with a message for its
// users; deprecating again with another message replaces it.
func (s *Service) DeprecateModule(ctx context.Context, r DeprecateModuleRequest) (Module, bool, error) {
	if err := s.limits.CheckPrincipal(r.Principal); err != nil {
		return Module{}, false, err
	}
	if err := r.Validate(); err != nil {
		return Module{}, false, err
	}
	if err := checkLifecycleText("message", r.Message, s.limits.MaxReasonBytes); err != nil {
		return Module{}, false, err
	}
	if err := s.existingModule(ctx, r.Module); err != nil {
		return Module{}, false, err
	}
	m, changed, err := s.store.DeprecateModule(ctx, r)
	if err != nil {
		return Module{}, false, err
	}
	if changed {
		s.logger.InfoContext(ctx, "module deprecated", "module", m.Name, "principal", logString(r.Principal), "message", logString(r.Message))
	}
	return m, changed, nil
}

// UndeprecateModule clears a module's deprecation (admin).
func (s *Service) UndeprecateModule(ctx context.Context, module, principal string) (Module, bool, error) {
	if err := s.limits.CheckPrincipal(principal); err != nil {
		return Module{}, false, err
	}
	if err := ValidateModuleName(module); err != nil {
		return Module{}, false, err
	}
	if err := s.existingModule(ctx, module); err != nil {
		return Module{}, false, err
	}
	m, changed, err := s.store.UndeprecateModule(ctx, module, principal)
	if err != nil {
		return Module{}, false, err
	}
	if changed {
		s.logger.InfoContext(ctx, "module undeprecated", "module", m.Name, "principal", logString(principal))
	}
	return m, changed, nil
}

// DeleteVersion deletes a version from serving (admin). The version stays
// in the ledger, the outbox and every history check, and stays the
// compatibility baseline while it is the latest accepted version: pushes
// are still checked against it, since data may have been written with it.
func (s *Service) DeleteVersion(ctx context.Context, r DeleteVersionRequest) (Version, bool, error) {
	if err := s.limits.CheckPrincipal(r.Principal); err != nil {
		return Version{}, false, err
	}
	if err := r.Validate(); err != nil {
		return Version{}, false, err
	}
	if err := checkLifecycleText("reason", r.Reason, s.limits.MaxReasonBytes); err != nil {
		return Version{}, false, err
	}
	if err := s.existingVersion(ctx, r.Module, r.Version); err != nil {
		return Version{}, false, err
	}
	v, changed, err := s.store.DeleteVersion(ctx, r)
	if err != nil {
		return Version{}, false, err
	}
	if changed {
		s.logger.InfoContext(ctx, "version deleted", "module", v.Module, "version", v.Number,
			"principal", logString(r.Principal), "reason", logString(r.Reason))
	}
	return v, changed, nil
}

// RestoreVersion serves a deleted version again (admin).
func (s *Service) RestoreVersion(ctx context.Context, module string, number int64, principal string) (Version, bool, error) {
	if err := s.limits.CheckPrincipal(principal); err != nil {
		return Version{}, false, err
	}
	if err := ValidateModuleName(module); err != nil {
		return Version{}, false, err
	}
	if err := validateVersionNumber(number); err != nil {
		return Version{}, false, err
	}
	if err := s.existingVersion(ctx, module, number); err != nil {
		return Version{}, false, err
	}
	v, changed, err := s.store.RestoreVersion(ctx, module, number, principal)
	if err != nil {
		return Version{}, false, err
	}
	if changed {
		s.logger.InfoContext(ctx, "version restored", "module", v.Module, "version", v.Number, "principal", logString(principal))
	}
	return v, changed, nil
}

// existingVersion returns nil if version number of module exists, else a
// NotFoundError saying whether the module or the version does not.
func (s *Service) existingVersion(ctx context.Context, module string, number int64) error {
	if err := s.existingModule(ctx, module); err != nil {
		return err
	}
	_, err := s.store.GetVersion(ctx, module, number)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("module %s has no version %d: pbcheck registry ls %s lists its versions (%w)", module, number, module, err)
	}
	return err
}

// checkLifecycleText bounds a lifecycle action's reason or message:
// printable text (newlines and tabs allowed) within limit bytes.
func checkLifecycleText(field, text string, limit int) error {
	if err := checkReason(text, limit); err != nil {
		var ia *InvalidArgumentError
		if errors.As(err, &ia) {
			ia.Field = field
		}
		return err
	}
	return nil
}

// ServedVersion returns the version of module that readers get for number
// (LatestVersion: the newest version not deleted). A deleted version, or
// latest when every version is deleted, yields a *VersionDeletedError
// saying who deleted it, when and why. The compatibility baseline is not
// affected: pushes are checked against the latest accepted version,
// deleted or not.
func ServedVersion(ctx context.Context, store Store, module string, number int64) (Version, error) {
	v, err := store.GetVersion(ctx, module, number)
	if err != nil || v.Deleted == nil {
		return v, err
	}
	if number != LatestVersion {
		return Version{}, &VersionDeletedError{Version: v}
	}
	served, err := store.LatestServedVersion(ctx, module)
	if errors.Is(err, ErrNotFound) {
		return Version{}, &VersionDeletedError{Version: v, NoneServed: true}
	}
	return served, err
}
