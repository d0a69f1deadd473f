package main

import "strings"

// Syntax is the syntax or edition of a file.
type Syntax int

// The syntaxes a generated file can use.
const (
	Proto2 Syntax = iota
	Proto3
	Edition2023
)

// Label is the presence/cardinality of a field, independent of syntax: the
// renderer turns it into a keyword or a feature depending on the file.
type Label int

// The field labels.
const (
	// Implicit is proto3's label-less singular field (implicit presence).
	Implicit Label = iota
	// Explicit is proto2 `optional`, proto3 `optional`, the editions default.
	Explicit
	// Required is proto2 `required` or editions LEGACY_REQUIRED.
	Required
	// Repeated is a list.
	Repeated
)

// Option is one `name = value` option; Value is already in proto syntax
// (quoted strings, identifiers, message literals).
type Option struct {
	Name  string
	Value string
}

// Range is an inclusive range of field or enum numbers; End == Max means "max".
type Range struct {
	Start, End int
}

// Max marks a range that ends at "max".
const Max = -1

// File is one .proto file of the model. Files are kept in topological order:
// a file only references types of files before it (or of itself).
type File struct {
	Path     string
	Package  string
	Syntax   Syntax
	External bool // a well-known/descriptor file: referenced, never written
	Header   string
	Options  []Option
	Messages []*Message
	Enums    []*Enum
	Services []*Service
	Extends  []*Extend

	// Editions file-level features.
	ImplicitPresence bool
	ClosedEnums      bool
	ExpandedRepeated bool
	LegacyJSON       bool

	ServiceFirst bool // render services before messages (service files)
	Index        int  // position in the topological order
	Domain       string
	Deleted      bool // removed by a mutation
}

// Message is a message declaration (top-level, nested, or a group body).
type Message struct {
	Name          string
	File          *File
	Parent        *Message
	Comment       string
	Options       []Option
	Fields        []*Field
	Oneofs        []*Oneof
	Nested        []*Message
	Enums         []*Enum
	Reserved      []Range
	ReservedNames []string
	ExtRanges     []Range
	NextExt       int  // next free extension number inside ExtRanges
	Group         bool // the body of a proto2 group field: rendered inline
	Gone          bool // deleted or moved by a mutation

	names  map[string]bool // used field/oneof/reserved names and JSON keys
	maxNum int             // highest field number or reserved number used
}

// Field is a message field or an extension field.
type Field struct {
	Name     string
	Number   int
	Label    Label
	Scalar   string   // scalar type name; empty when Msg or Enum is set
	Msg      *Message // message type (or group body when Group)
	Enum     *Enum
	MapKey   string // non-empty: a map<MapKey, value> field
	Oneof    *Oneof
	Group    bool
	Options  []Option
	Comment  string
	Trailing string
	Parent   *Message // nil for extension fields
}

// Oneof is a oneof declaration; its fields point to it.
type Oneof struct {
	Name    string
	Comment string
}

// Enum is an enum declaration.
type Enum struct {
	Name          string
	File          *File
	Parent        *Message
	Comment       string
	Options       []Option
	Values        []*EnumValue
	Reserved      []Range
	ReservedNames []string
	Gone          bool
}

// EnumValue is one enum value.
type EnumValue struct {
	Name    string
	Number  int
	Options []Option
	Comment string
}

// Service is a service declaration.
type Service struct {
	Name    string
	Comment string
	Options []Option
	Methods []*Method
}

// Method is one rpc.
type Method struct {
	Name            string
	Input, Output   *Message
	ClientStreaming bool
	ServerStreaming bool
	Options         []Option
	Comment         string
}

// Extend is an `extend Extendee { ... }` block.
type Extend struct {
	Extendee *Message
	Fields   []*Field
}

// Path is the message name relative to its package (Outer.Inner).
func (m *Message) Path() string {
	if m.Parent == nil {
		return m.Name
	}
	return m.Parent.Path() + "." + m.Name
}

// FullName is the fully-qualified name of the message.
func (m *Message) FullName() string { return qualify(m.File.Package, m.Path()) }

// Top is the top-level message that contains m (m itself when top-level).
func (m *Message) Top() *Message {
	for m.Parent != nil {
		m = m.Parent
	}
	return m
}

// Path is the enum name relative to its package.
func (e *Enum) Path() string {
	if e.Parent == nil {
		return e.Name
	}
	return e.Parent.Path() + "." + e.Name
}

// FullName is the fully-qualified name of the enum.
func (e *Enum) FullName() string { return qualify(e.File.Package, e.Path()) }

// Closed reports whether the enum is closed (proto2 semantics).
func (e *Enum) Closed() bool {
	switch e.File.Syntax {
	case Proto2:
		return true
	case Proto3:
		return false
	}
	for _, o := range e.Options {
		if o.Name == "features.enum_type" {
			return o.Value == "CLOSED"
		}
	}
	return e.File.ClosedEnums
}

// Prefix is the UPPER_SNAKE prefix of the enum's values.
func (e *Enum) Prefix() string { return upperSnake(e.Name) + "_" }

// FullName is the fully-qualified name of the field.
func (f *Field) FullName() string {
	if f.Parent == nil {
		return f.Name
	}
	return f.Parent.FullName() + "." + f.Name
}

// IsMap reports whether the field is a map field.
func (f *Field) IsMap() bool { return f.MapKey != "" }

// option returns the value of the named option and whether it is set.
func option(opts []Option, name string) (string, bool) {
	for _, o := range opts {
		if o.Name == name {
			return o.Value, true
		}
	}
	return "", false
}

// setOption replaces or appends the named option.
func setOption(opts []Option, name, value string) []Option {
	for i, o := range opts {
		if o.Name == name {
			opts[i].Value = value
			return opts
		}
	}
	return append(opts, Option{name, value})
}

// removeOption deletes the named option.
func removeOption(opts []Option, name string) []Option {
	out := opts[:0]
	for _, o := range opts {
		if o.Name != name {
			out = append(out, o)
		}
	}
	return out
}

func qualify(pkg, name string) string {
	if pkg == "" {
		return name
	}
	return pkg + "." + name
}

// upperSnake turns PascalCase into UPPER_SNAKE_CASE.
func upperSnake(s string) string { return strings.ToUpper(snake(s)) }

// snake turns PascalCase into lower_snake_case.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r + ('a' - 'A'))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// pascal turns lower_snake_case into PascalCase.
func pascal(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r == '_' {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	return b.String()
}

// jsonKey is the key used to detect JSON-name conflicts between fields:
// the name without underscores, lower-cased.
func jsonKey(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }

// plural is a naive English plural good enough for the vocabulary.
func plural(s string) string {
	switch {
	case strings.HasSuffix(s, "ia"), strings.HasSuffix(s, "data"), strings.HasSuffix(s, "info"):
		return s
	case strings.HasSuffix(s, "s"), strings.HasSuffix(s, "x"), strings.HasSuffix(s, "ch"), strings.HasSuffix(s, "sh"):
		return s + "es"
	case strings.HasSuffix(s, "y") && len(s) > 1 && !strings.ContainsRune("aeiou", rune(s[len(s)-2])):
		return s[:len(s)-1] + "ies"
	}
	return s + "s"
}
