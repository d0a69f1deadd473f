package registry

import (
	"fmt"
	"time"
)

// ExceptionSpec asks to let one push through despite one finding: an admin
// approves rule Rule on element Element of module Module for the push whose
// content digest is Digest — and for no other push.
type ExceptionSpec struct {
	// Module is the module pushed to.
	Module string
	// Digest is the digest of the push the exception applies to.
	Digest string
	// Rule is the ID of the rule whose finding is excepted, e.g.
	// "FIELD_SAME_TYPE".
	Rule string
	// Element is the fully-qualified element the finding is about.
	Element string
	// Reason says why the exception is granted.
	Reason string
	// Principal is the admin granting it.
	Principal string
}

// Validate returns an *InvalidArgumentError if s is malformed.
func (s ExceptionSpec) Validate() error {
	if err := ValidateModuleName(s.Module); err != nil {
		return err
	}
	if err := ValidateDigest("digest", s.Digest); err != nil {
		return err
	}
	switch {
	case s.Rule == "":
		return invalid("rule", "no rule ID: name the rule whose finding is excepted")
	case s.Element == "":
		return invalid("element", "no element: name the element the finding is about")
	case s.Reason == "":
		return invalid("reason", "no reason: say why the exception is granted")
	case s.Principal == "":
		return invalid("principal", "no principal: say who grants the exception")
	}
	return nil
}

// Exception is an approved finding, kept forever as an audit trail.
type Exception struct {
	// ID identifies the exception.
	ID int64
	// Module, Digest, Rule, Element, Reason and Principal are as granted.
	Module    string
	Digest    string
	Rule      string
	Element   string
	Reason    string
	Principal string
	// CreatedAt is when it was granted.
	CreatedAt time.Time
	// UsedVersion is the version whose push consumed it, 0 while unused.
	UsedVersion int64
	// UsedAt is when it was consumed.
	UsedAt time.Time
}

// ExceptionQuery selects exceptions of a module.
type ExceptionQuery struct {
	// Module is the module.
	Module string
	// Digest, when set, selects the exceptions of one push.
	Digest string
	// UnusedOnly selects the exceptions not consumed yet.
	UnusedOnly bool
}

// NewExceptionUnavailableError returns the error for exception id, which
// push c cannot consume; e is the exception as stored, nil if it does not
// exist.
func NewExceptionUnavailableError(id int64, e *Exception, c *PushCommit) *ExceptionUnavailableError {
	var reason string
	switch {
	case e == nil:
		reason = "it does not exist"
	case e.Module != c.Module:
		reason = fmt.Sprintf("it was granted for module %s", e.Module)
	case e.Digest != c.Digest:
		reason = fmt.Sprintf("it was granted for the push with digest %s, not %s", e.Digest, c.Digest)
	default:
		reason = fmt.Sprintf("it was already used by version %d", e.UsedVersion)
	}
	return &ExceptionUnavailableError{ID: id, Reason: reason}
}
