package compat

import (
	"cmp"
	"slices"
)

// Location is a span in a file, with 1-based lines and columns. A zero
// Location has no file; a Location with a Path and zero lines designates
// the whole file.
type Location struct {
	// Path is the file's path relative to its module root.
	Path        string
	StartLine   int
	StartColumn int
	EndLine     int
	EndColumn   int
}

// Finding is one incompatibility (or, for policies, one violation): what
// changed, where, which rule caught it and who it breaks.
type Finding struct {
	// Rule is the ID of the rule that reported the finding, e.g.
	// "FIELD_SAME_TYPE", or the name of a policy.
	Rule string
	// Location is where the finding is in the current schema. For
	// deletions it is the element that contained what was deleted, or the
	// file itself; it has no Path when the whole file was deleted.
	Location Location
	// Previous is the location of the element in the previous schema,
	// when there is one.
	Previous Location
	// Message says what changed, in words a person can act on.
	Message string
	// Directions are the directions the change breaks: Backward when
	// readers using the current schema cannot read data written with the
	// previous one, Forward when readers still on the previous schema
	// cannot read data written with the current one.
	Directions Direction
	// Severity is SeverityError for every compatibility finding; policies
	// may report warnings, which never fail a check.
	Severity Severity
	// Element is the fully-qualified name of the element the finding is
	// about (a message, field, enum, enum value, service, method, or the
	// package for file-level findings), without a leading dot.
	Element string
}

// Severity says whether a finding fails a check.
type Severity uint8

const (
	// SeverityError fails the check (the zero Severity).
	SeverityError Severity = iota
	// SeverityWarning is reported but does not fail the check.
	SeverityWarning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Compare orders findings the way they are printed: by path, position,
// rule and message.
func Compare(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(a.Location.Path, b.Location.Path),
		cmp.Compare(a.Location.StartLine, b.Location.StartLine),
		cmp.Compare(a.Location.StartColumn, b.Location.StartColumn),
		cmp.Compare(a.Rule, b.Rule),
		cmp.Compare(a.Message, b.Message),
		cmp.Compare(a.Location.EndLine, b.Location.EndLine),
		cmp.Compare(a.Location.EndColumn, b.Location.EndColumn),
	)
}

// Sort sorts findings in place with Compare and drops exact duplicates.
func Sort(findings []Finding) []Finding {
	slices.SortStableFunc(findings, Compare)
	return slices.CompactFunc(findings, func(a, b Finding) bool {
		return Compare(a, b) == 0
	})
}
