package registry

import (
	"fmt"
	"strings"
	"time"

	"github.com/pbregistry/pbregistry/config"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// SubjectKind is the kind of data a subject's message holds: the one type
// of the idea, config's, as pbregistry.yaml declares it.
type SubjectKind = config.SubjectKind

// The subject kinds.
const (
	// KindPBTable is a database table whose rows are the message.
	KindPBTable = config.KindPBTable
	// KindEvent is an event stream of the message.
	KindEvent = config.KindEvent
	// KindLog is a log of the message.
	KindLog = config.KindLog
)

// Level is a subject's compatibility level: the one type of the idea,
// config's (see config.Level), as pbregistry.yaml writes it.
type Level = config.Level

// The compatibility levels.
const (
	LevelNone               = config.LevelNone
	LevelBackward           = config.LevelBackward
	LevelBackwardTransitive = config.LevelBackwardTransitive
	LevelForward            = config.LevelForward
	LevelForwardTransitive  = config.LevelForwardTransitive
	LevelFull               = config.LevelFull
	LevelFullTransitive     = config.LevelFullTransitive
)

// Levels lists every Level, weakest first.
var Levels = config.Levels

// Compatibility is a subject's compatibility configuration.
type Compatibility struct {
	// Level is the compatibility level.
	Level Level
	// Use lists the buf rule IDs and categories to run; empty means the
	// checker's default.
	Use []string
	// Except lists rule IDs and categories not to run.
	Except []string
}

// validate returns an *InvalidArgumentError if c is malformed.
func (c Compatibility) validate(field string) error {
	if !c.Level.Valid() {
		return invalid(field+".level", "unknown compatibility level %q: use one of %v", Truncate(string(c.Level), 64), Levels)
	}
	for name, rules := range map[string][]string{"use": c.Use, "except": c.Except} {
		for i, r := range rules {
			if r == "" || strings.ContainsAny(r, " \t\r\n") {
				return invalid(fmt.Sprintf("%s.%s[%d]", field, name, i), "rule ID or category %q is empty or contains spaces", Truncate(r, 64))
			}
		}
	}
	return nil
}

// SubjectSpec is a subject as a push's config declares it.
type SubjectSpec struct {
	// Name is the fully-qualified name of the subject's message, without a
	// leading dot, e.g. "acme.commerce.v1.Order".
	Name string
	// Kind is what the message holds.
	Kind SubjectKind
	// PrimaryKey lists the primary-key fields of a pbtable, in order: field
	// names of the message, or dotted paths to fields of nested messages
	// ("key.id").
	PrimaryKey []string
	// Compatibility is the configuration the push declares.
	Compatibility Compatibility
}

// Validate returns an *InvalidArgumentError if s is malformed; field names
// s in the request.
func (s SubjectSpec) Validate(field string) error {
	if err := ValidateSubjectName(field+".name", s.Name); err != nil {
		return err
	}
	if !s.Kind.Valid() {
		return invalid(field+".kind", "subject %s has kind %q: use pbtable, event or log", s.Name, s.Kind)
	}
	if s.Kind == KindPBTable && len(s.PrimaryKey) == 0 {
		return invalid(field+".primary_key", "pbtable %s has no primary key: name its primary-key fields", s.Name)
	}
	if s.Kind != KindPBTable && len(s.PrimaryKey) != 0 {
		return invalid(field+".primary_key", "%s %s has a primary key: only pbtables have one", s.Kind, s.Name)
	}
	for i, k := range s.PrimaryKey {
		if !isFieldPath(k) {
			return invalid(fmt.Sprintf("%s.primary_key[%d]", field, i), "%q is not a field name or a dotted path to a nested field, e.g. \"key.id\"", k)
		}
	}
	return s.Compatibility.validate(field + ".compatibility")
}

// ValidateSubjectName returns an *InvalidArgumentError unless name is a
// fully-qualified message name without a leading dot.
func ValidateSubjectName(field, name string) error {
	if name == "" {
		return invalid(field, "the subject name is empty: use the message's fully-qualified name, e.g. \"acme.commerce.v1.Order\"")
	}
	if !protoreflect.FullName(name).IsValid() {
		return invalid(field, "subject %q is not a fully-qualified message name, e.g. \"acme.commerce.v1.Order\"", Truncate(name, 256))
	}
	return nil
}

// SubjectOverride is a compatibility configuration an admin set on a
// subject. It takes precedence over the pushed configuration and survives
// later pushes until cleared.
type SubjectOverride struct {
	// Compatibility is the configuration in force.
	Compatibility Compatibility
	// Principal is the admin who set it.
	Principal string
	// SetAt is when it was set.
	SetAt time.Time
}

// Subject is a message of a module that holds data, with its compatibility
// configuration.
type Subject struct {
	// Module is the module's name.
	Module string
	// Name is the fully-qualified message name.
	Name string
	// Kind is what the message holds.
	Kind SubjectKind
	// PrimaryKey lists a pbtable's primary-key fields: names, or dotted
	// paths to fields of nested messages.
	PrimaryKey []string
	// Pushed is the configuration of the latest push that declared the
	// subject.
	Pushed Compatibility
	// Override is the admin's configuration, or nil.
	Override *SubjectOverride
	// FirstVersion is the version that first declared the subject.
	FirstVersion int64
	// LastVersion is the latest version that declared it; it is less than
	// the module's latest version when later pushes no longer declare it.
	LastVersion int64
	// Retired is an admin's retirement of the subject, nil while it is
	// active: a push that declares a retired subject again (LastVersion
	// past Retired.Version) makes it active.
	Retired *SubjectRetirement
}

// Effective returns the configuration in force: the override if there is
// one, else the pushed one.
func (s Subject) Effective() Compatibility {
	if s.Override != nil {
		return s.Override.Compatibility
	}
	return s.Pushed
}

// SubjectConfigRequest asks to override a subject's compatibility
// configuration.
type SubjectConfigRequest struct {
	// Module and Subject name the subject, which must exist.
	Module  string
	Subject string
	// Compatibility is the configuration to put in force.
	Compatibility Compatibility
	// Principal is the admin setting it.
	Principal string
}

// Validate returns an *InvalidArgumentError if r is malformed.
func (r SubjectConfigRequest) Validate() error {
	if err := ValidateModuleName(r.Module); err != nil {
		return err
	}
	if err := ValidateSubjectName("subject", r.Subject); err != nil {
		return err
	}
	if r.Principal == "" {
		return invalid("principal", "no principal: say who overrides the configuration")
	}
	return r.Compatibility.validate("compatibility")
}

// isFieldPath reports whether s is a field name or a dot-separated path of
// field names: syntactically, a protobuf full name.
func isFieldPath(s string) bool { return protoreflect.FullName(s).IsValid() }
