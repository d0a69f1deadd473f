package compat

import (
	"cmp"
	"slices"

	"google.golang.org/protobuf/reflect/protoreflect"
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

// LocationOf returns where d is declared in its file's source: the span of
// its declaration, a file's being its package statement, or line 1 column 1
// of the file when the file carries no source info (e.g. an image built
// without it).
func LocationOf(d protoreflect.Descriptor) Location {
	fd := d.ParentFile()
	loc := Location{Path: fd.Path(), StartLine: 1, StartColumn: 1, EndLine: 1, EndColumn: 1}
	var sl protoreflect.SourceLocation
	if _, isFile := d.(protoreflect.FileDescriptor); isFile {
		sl = fd.SourceLocations().ByPath(protoreflect.SourcePath{2}) // FileDescriptorProto.package
	} else {
		sl = fd.SourceLocations().ByDescriptor(d)
	}
	if sl.Path != nil {
		loc.StartLine, loc.StartColumn, loc.EndLine, loc.EndColumn = sl.StartLine+1, sl.StartColumn+1, sl.EndLine+1, sl.EndColumn+1
	}
	return loc
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
