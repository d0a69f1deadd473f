package compat

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// nestedName returns d's full name without its package: "Outer.Inner".
func nestedName(d protoreflect.Descriptor) string {
	name := string(d.FullName())
	if pkg := string(d.ParentFile().Package()); pkg != "" {
		return strings.TrimPrefix(name, pkg+".")
	}
	return name
}

// describeField names a field or extension for a message:
// `field 3 "amount" on message "Invoice"` or
// `extension 100 "acme.v1.tag" on message "google.protobuf.FieldOptions"`.
func describeField(fd protoreflect.FieldDescriptor) string {
	if fd.IsExtension() {
		return fmt.Sprintf("extension %d %q on message %q", fd.Number(), fd.FullName(), fd.ContainingMessage().FullName())
	}
	return fmt.Sprintf("field %d %q on message %q", fd.Number(), fd.Name(), nestedName(fd.ContainingMessage()))
}

// capitalize upper-cases the first letter of s.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// kindName names a field's kind for messages: "int32", "message",
// "message (delimited encoding)" for editions groups, ….
func kindName(fd protoreflect.FieldDescriptor) string {
	if fd.Kind() == protoreflect.GroupKind && fd.ParentFile().Syntax() != protoreflect.Proto2 {
		return "message (delimited encoding)"
	}
	return fd.Kind().String()
}

// typeName returns the full name of a message or enum field's type, or "".
func typeName(fd protoreflect.FieldDescriptor) protoreflect.FullName {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return fd.Message().FullName()
	case protoreflect.EnumKind:
		return fd.Enum().FullName()
	}
	return ""
}

// quoteAll quotes each string and joins them with ", ".
func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// plural returns word, with an "s" when n != 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// breaks explains which readers a change breaks, for messages.
func breaks(d Direction) string {
	switch d {
	case Backward:
		return "readers on the current schema cannot read data written with the previous one (BACKWARD)"
	case Forward:
		return "readers still on the previous schema cannot read data written with the current one (FORWARD)"
	case Both:
		return "readers on either schema cannot read the other's data (BACKWARD and FORWARD)"
	}
	return "no reader breaks on the wire, but generated code does"
}
