package lakehouse

import "google.golang.org/protobuf/reflect/protoreflect"

// Table is the column model of a subject's message over its history: what
// every generator of pbtables and warehouse models starts from.
type Table struct {
	// Message is the message's fully-qualified name.
	Message protoreflect.FullName
	// Descriptor is the message in the version generated for.
	Descriptor protoreflect.MessageDescriptor
	// Name is the default table name: the message's name in snake_case
	// ("InvoiceLine" → "invoice_line").
	Name string
	// Columns lists the columns: the primary key's columns first, in key
	// order; then each field of the latest version in declaration order;
	// then the deprecated fields (deleted in a later version) by number.
	// Names are unique.
	Columns []*Column
	// Key lists the primary key's columns, in key order; each is also in
	// Columns.
	Key []*Column
	// Versions is how many versions the model merges: the history plus
	// the latest.
	Versions int
}

// Column is one column of a [Table]: a field of the message (or, for a
// nested primary key, of a message it contains) as it was over history.
type Column struct {
	// Name is the column's name: the field's name in snake_case; for a
	// nested key the steps joined by "__" ("key__id"); for a deleted field
	// whose name a live field took, the name suffixed with "__<number>".
	Name string
	// Path locates the value in a row, from the root; a top-level field
	// has one step.
	Path Path
	// Field is the field's descriptor in the latest version that has it.
	Field protoreflect.FieldDescriptor
	// Kind is how the value is carried in JSON.
	Kind Kind
	// Presence reports whether an absent value stays NULL (fields with
	// explicit presence: messages, optional, oneof members). Without
	// presence an absent value reads as the zero value, as protobuf gives
	// it, and writing the zero value drops the key, as protojson does.
	Presence bool
	// Deprecated reports whether the field was deleted in a later version:
	// the column stays so that old rows keep their data.
	Deprecated bool
	// Key reports whether the column is part of the primary key.
	Key bool
	// InAllVersions reports whether every version merged (after
	// dropping repeats) has the field, and every field on its path.
	InAllVersions bool
	// Enum holds the enum's values over history when Kind is KindEnum.
	Enum *Enum
	// Comment is the field's leading comment in the latest version that
	// has it, trimmed; empty when the descriptor has no source info.
	Comment string
}

// Path is the way from a row's root to a value: one step per field.
type Path []Step

// Step is one field on a [Path].
type Step struct {
	// Number is the field's number.
	Number protoreflect.FieldNumber
	// Field is the field's descriptor in the latest version that has it.
	Field protoreflect.FieldDescriptor
	// Names lists every name the field had, newest first.
	Names []string
	// JSONKeys lists every key a reader must look at for the field, newest
	// first: each version's JSON name and original name, without
	// duplicates. JSONKeys[0] is the key writers use.
	JSONKeys []string
}

// Enum is an enum over history.
type Enum struct {
	// FullName is the enum's fully-qualified name in the latest version.
	FullName protoreflect.FullName
	// Values lists every number the enum ever had, ascending.
	Values []EnumValue
}

// EnumValue is one number of an [Enum].
type EnumValue struct {
	// Number is the value's number.
	Number protoreflect.EnumNumber
	// Name is the name JSON writers use for it: the first name declared
	// for the number in the latest version that has it.
	Name string
	// Names lists every name the number had, newest first.
	Names []string
	// Deprecated reports whether a later version deleted the number.
	Deprecated bool
}

// ZeroName returns the name of the enum's zero value, or "0" when no
// version declared one (proto2 enums may start elsewhere).
func (e *Enum) ZeroName() string {
	for _, v := range e.Values {
		if v.Number == 0 {
			return v.Name
		}
	}
	return "0"
}

// Column returns the column named name, or nil.
func (t *Table) Column(name string) *Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}
