package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// SetSubjectConfig overrides a subject's compatibility configuration, after
// validating the request as pushes are validated: the level, every rule ID
// and category of use: and except: against the compatibility catalog (an
// unknown one is refused, listing the categories, so that an override can
// never make every later push fail), a selection that leaves rules to run,
// bounded names, and a module and subject that exist.
//
// The admin is the approver: an override that weakens the configuration in
// force (a lower level, transitive to not, fewer rules — what a push
// could only do with an approved SUBJECT_LEVEL_NO_WEAKEN or
// SUBJECT_RULES_NO_WEAKEN exception) is accepted, and logged at warning
// level as "subject config weakened" with the rules it would have broken;
// the override record names the admin and the time.
func (s *Service) SetSubjectConfig(ctx context.Context, r SubjectConfigRequest) (Subject, error) {
	if err := s.limits.CheckPrincipal(r.Principal); err != nil {
		return Subject{}, err
	}
	if err := r.Validate(); err != nil {
		return Subject{}, err
	}
	if err := s.limits.ValidateRules("compatibility.use", r.Compatibility.Use); err != nil {
		return Subject{}, err
	}
	if err := s.limits.ValidateRules("compatibility.except", r.Compatibility.Except); err != nil {
		return Subject{}, err
	}
	sub, err := s.existingSubject(ctx, r.Module, r.Subject)
	if err != nil {
		return Subject{}, err
	}
	if _, err := r.Compatibility.withDefaults(sub.Kind).rules("compatibility"); err != nil {
		return Subject{}, err
	}
	before := SubjectSpec{Name: sub.Name, Kind: sub.Kind, PrimaryKey: sub.PrimaryKey, Compatibility: sub.Effective().withDefaults(sub.Kind)}
	after := before
	after.Compatibility = r.Compatibility.withDefaults(sub.Kind)
	weakenings := subjectWeakenings(before, after)
	sub, err = s.store.SetSubjectConfig(ctx, r)
	if err != nil {
		return Subject{}, err
	}
	for _, w := range weakenings {
		s.logger.WarnContext(ctx, "subject config weakened", "module", sub.Module, "subject", logString(sub.Name),
			"principal", logString(r.Principal), "rule", w.Rule, "change", w.Message)
	}
	s.logger.InfoContext(ctx, "subject config set", "module", sub.Module, "subject", logString(sub.Name),
		"principal", logString(r.Principal), "level", r.Compatibility.Level)
	return sub, nil
}

// ClearSubjectConfig removes a subject's override, so that the pushed
// configuration is in force again; the module and subject must exist.
func (s *Service) ClearSubjectConfig(ctx context.Context, module, subject, principal string) (Subject, error) {
	if err := s.limits.CheckPrincipal(principal); err != nil {
		return Subject{}, err
	}
	if err := ValidateModuleName(module); err != nil {
		return Subject{}, err
	}
	if err := ValidateSubjectName("subject", subject); err != nil {
		return Subject{}, err
	}
	if _, err := s.existingSubject(ctx, module, subject); err != nil {
		return Subject{}, err
	}
	sub, err := s.store.ClearSubjectConfig(ctx, module, subject)
	if err != nil {
		return Subject{}, err
	}
	s.logger.InfoContext(ctx, "subject config cleared", "module", sub.Module, "subject", logString(sub.Name), "principal", logString(principal))
	return sub, nil
}

// existingSubject returns a subject, or a NotFoundError saying whether the
// module or the subject does not exist.
func (s *Service) existingSubject(ctx context.Context, module, subject string) (Subject, error) {
	if err := s.existingModule(ctx, module); err != nil {
		return Subject{}, err
	}
	sub, err := s.store.GetSubject(ctx, module, subject)
	if errors.Is(err, ErrNotFound) {
		return Subject{}, fmt.Errorf("module %s has no subject %s: subjects are the messages its pbregistry.yaml declares under subjects: (%w)", module, subject, err)
	}
	return sub, err
}

// existingModule returns nil if module exists, else a NotFoundError.
func (s *Service) existingModule(ctx context.Context, module string) error {
	_, err := s.store.GetModule(ctx, module)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("module %s does not exist: check its name, or push it first (%w)", module, err)
	}
	return err
}

// ApproveException grants an exception after validating it as pushes are
// validated: the module exists, the rule is a rule ID of the catalog, one of
// the registry's own or a well-formed policy name, the element is a
// fully-qualified name, the reason is non-empty and bounded, and none of
// them carries a NUL, a newline (the reason may have newlines) or another
// control character.
func (s *Service) ApproveException(ctx context.Context, spec ExceptionSpec) (Exception, error) {
	if err := s.limits.CheckPrincipal(spec.Principal); err != nil {
		return Exception{}, err
	}
	if err := spec.Validate(); err != nil {
		return Exception{}, err
	}
	if err := s.limits.CheckName("rule", spec.Rule); err != nil {
		return Exception{}, err
	}
	if !isRuleName(spec.Rule) {
		return Exception{}, invalid("rule", "%q is neither a rule ID of the compatibility catalog nor a policy name (UPPER_SNAKE_CASE): copy the rule from the push's finding", Truncate(spec.Rule, 64))
	}
	if err := s.limits.CheckName("element", spec.Element); err != nil {
		return Exception{}, err
	}
	if !protoreflect.FullName(spec.Element).IsValid() {
		return Exception{}, invalid("element", "%q is not a fully-qualified name, e.g. \"acme.billing.v1.Invoice.amount\": copy the element from the push's finding", Truncate(spec.Element, 64))
	}
	if err := checkReason(spec.Reason, s.limits.MaxReasonBytes); err != nil {
		return Exception{}, err
	}
	if err := s.existingModule(ctx, spec.Module); err != nil {
		return Exception{}, err
	}
	e, err := s.store.CreateException(ctx, spec)
	if err != nil {
		return Exception{}, err
	}
	s.logger.InfoContext(ctx, "exception approved", "module", e.Module, "digest", e.Digest, "rule", logString(e.Rule),
		"element", logString(e.Element), "principal", logString(spec.Principal), "id", e.ID)
	return e, nil
}

// checkReason returns an *InvalidArgumentError unless reason says something
// within limit bytes, in printable text (newlines and tabs allowed).
func checkReason(reason string, limit int) error {
	if strings.TrimSpace(reason) == "" {
		return invalid("reason", "no reason: say why the exception is granted")
	}
	printable := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return ' '
		}
		return r
	}, reason)
	return checkText("reason", printable, limit, "max_reason_bytes")
}
