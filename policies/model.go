package policies

// This file is the object model policy expressions see. Each type is a CEL
// object (policies.File, policies.Message, …) whose fields are named by
// their cel tags; docs/policies.md documents them.

// File is a .proto file.
type File struct {
	// Path is relative to the module root.
	Path string `cel:"path"`
	// Package is the file's package.
	Package string `cel:"package"`
	// Syntax is "proto2", "proto3" or "editions".
	Syntax string `cel:"syntax"`
	// Edition is "2023" for editions files, else "".
	Edition string `cel:"edition"`
	// Imports are the paths of the files it imports.
	Imports []string `cel:"imports"`
	// Options are the file options set, by name (custom options by full
	// name, e.g. "acme.v1.owner").
	Options map[string]any `cel:"options"`
	// Comments are the comments before the package statement.
	Comments string `cel:"comments"`
}

// Message is a message.
type Message struct {
	Name     string `cel:"name"`
	FullName string `cel:"full_name"`
	Package  string `cel:"package"`
	File     string `cel:"file"`
	// Nested reports a message declared inside another.
	Nested bool `cel:"nested"`
	// NestingLevel is 0 for a top-level message, 1 inside one, ….
	NestingLevel int64 `cel:"nesting_level"`
	// Depth is how deep the message's data nests: 0 when no field holds a
	// message, else 1 + the deepest depth of the messages its fields hold.
	// Well-known types (google.protobuf.*) and recursion count as 0.
	Depth int64 `cel:"depth"`
	// IsMapEntry reports a message synthesized for a map field.
	IsMapEntry bool           `cel:"is_map_entry"`
	Fields     []*Field       `cel:"fields"`
	Oneofs     []string       `cel:"oneofs"`
	Reserved   []string       `cel:"reserved_names"`
	Deprecated bool           `cel:"deprecated"`
	Options    map[string]any `cel:"options"`
	Comments   string         `cel:"comments"`
}

// Field is a field or an extension.
type Field struct {
	Name     string `cel:"name"`
	FullName string `cel:"full_name"`
	Number   int64  `cel:"number"`
	// Type is the field's kind: "int32", "string", "message", "enum",
	// "group", … For maps it is "message" (the entry).
	Type string `cel:"type"`
	// TypeName is the full name of a message, group or enum type.
	TypeName string `cel:"type_name"`
	// Label is "optional", "required" or "repeated" (maps are repeated).
	Label string `cel:"label"`
	// Cardinality is "optional", "required", "repeated" or "map".
	Cardinality string `cel:"cardinality"`
	// HasPresence reports explicit presence (proto2 optional, proto3
	// optional, message fields, oneof members).
	HasPresence bool `cel:"has_presence"`
	IsMap       bool `cel:"is_map"`
	// MapKeyType and MapValueType are the kinds of a map's key and value;
	// MapValueTypeName the full name of a message or enum value.
	MapKeyType       string `cel:"map_key_type"`
	MapValueType     string `cel:"map_value_type"`
	MapValueTypeName string `cel:"map_value_type_name"`
	// JSONName is the field's JSON name; HasJSONName reports that it was
	// set explicitly with the json_name option.
	JSONName    string `cel:"json_name"`
	HasJSONName bool   `cel:"has_json_name"`
	// Oneof is the name of the (non-synthetic) oneof the field is in.
	Oneof string `cel:"oneof"`
	// Message is the full name of the message declaring the field.
	Message     string         `cel:"message"`
	IsExtension bool           `cel:"is_extension"`
	Extendee    string         `cel:"extendee"`
	Default     string         `cel:"default"`
	Deprecated  bool           `cel:"deprecated"`
	Options     map[string]any `cel:"options"`
	Comments    string         `cel:"comments"`
	File        string         `cel:"file"`
}

// Enum is an enum.
type Enum struct {
	Name     string       `cel:"name"`
	FullName string       `cel:"full_name"`
	Package  string       `cel:"package"`
	File     string       `cel:"file"`
	Nested   bool         `cel:"nested"`
	Closed   bool         `cel:"closed"`
	Values   []*EnumValue `cel:"values"`
	Reserved []string     `cel:"reserved_names"`
	// ZeroValue is the name of the value numbered 0, "" if none.
	ZeroValue  string         `cel:"zero_value"`
	Deprecated bool           `cel:"deprecated"`
	Options    map[string]any `cel:"options"`
	Comments   string         `cel:"comments"`
}

// EnumValue is a value of an enum.
type EnumValue struct {
	Name       string         `cel:"name"`
	FullName   string         `cel:"full_name"`
	Number     int64          `cel:"number"`
	Enum       string         `cel:"enum"`
	Deprecated bool           `cel:"deprecated"`
	Options    map[string]any `cel:"options"`
	Comments   string         `cel:"comments"`
	File       string         `cel:"file"`
}

// Service is a service.
type Service struct {
	Name       string         `cel:"name"`
	FullName   string         `cel:"full_name"`
	Package    string         `cel:"package"`
	File       string         `cel:"file"`
	Methods    []*Method      `cel:"methods"`
	Deprecated bool           `cel:"deprecated"`
	Options    map[string]any `cel:"options"`
	Comments   string         `cel:"comments"`
}

// Method is an RPC of a service.
type Method struct {
	Name             string         `cel:"name"`
	FullName         string         `cel:"full_name"`
	Service          string         `cel:"service"`
	InputType        string         `cel:"input_type"`
	OutputType       string         `cel:"output_type"`
	ClientStreaming  bool           `cel:"client_streaming"`
	ServerStreaming  bool           `cel:"server_streaming"`
	IdempotencyLevel string         `cel:"idempotency_level"`
	Deprecated       bool           `cel:"deprecated"`
	Options          map[string]any `cel:"options"`
	Comments         string         `cel:"comments"`
	File             string         `cel:"file"`
}

// Subject is the subject whose data holds the element; its Kind is ""
// when the element is in no subject.
type Subject struct {
	// Name is the subject's message.
	Name string `cel:"name"`
	// Kind is "pbtable", "event", "log" or "".
	Kind string `cel:"kind"`
	// PrimaryKey lists a pbtable's primary-key fields: field names of the
	// message, or dotted paths to fields of nested messages ("key.id").
	PrimaryKey []string `cel:"primary_key"`
	// PrimaryKeyPaths is PrimaryKey resolved against the schema being
	// checked, one KeyPath per entry. Lint and Changes fill it in; what a
	// caller sets is ignored.
	PrimaryKeyPaths []*KeyPath `cel:"primary_key_paths"`
	// Compatibility is the level in force, e.g. "FULL_TRANSITIVE".
	Compatibility string `cel:"compatibility"`
}

// KeyPath is one primary-key entry resolved against the subject's message:
// each dot-separated step names a field of the message the previous step
// holds (the subject's message for the first step).
type KeyPath struct {
	// Path is the entry as configured, e.g. "key.id".
	Path string `cel:"path"`
	// Fields are the fields of the steps, in order; they stop before the
	// first step that names no field.
	Fields []*Field `cel:"fields"`
	// Found reports that every step names a field.
	Found bool `cel:"found"`
	// Leaf is the last step's field when Found, else an empty Field.
	Leaf *Field `cel:"leaf"`
}

// Change is a compatibility finding between the previous and the current
// schema, as change policies see it.
type Change struct {
	// Rule is the compat rule that reported it, e.g. "FIELD_NO_DELETE".
	Rule string `cel:"rule"`
	// Direction is "BACKWARD", "FORWARD", "FULL" or "NONE" (source only).
	Direction string `cel:"direction"`
	// Message is the rule's description of the change.
	Message string `cel:"message"`
	// Element is the full name of the element concerned.
	Element string `cel:"element"`
	// Path is the file of the change in the current schema ("" when the
	// file was deleted).
	Path string `cel:"path"`
	// Previous and Current are the element before and after; the one that
	// does not exist has an empty Kind.
	Previous *Element `cel:"previous"`
	Current  *Element `cel:"current"`
}

// Element is a message, field, enum, enum value, service or method, in
// one flat shape, as the two sides of a Change.
type Element struct {
	// Kind is "message", "field", "enum", "enum_value", "service",
	// "method", or "" when the element does not exist on this side.
	Kind     string         `cel:"kind"`
	Name     string         `cel:"name"`
	FullName string         `cel:"full_name"`
	File     string         `cel:"file"`
	Number   int64          `cel:"number"`
	Type     string         `cel:"type"`
	TypeName string         `cel:"type_name"`
	Label    string         `cel:"label"`
	JSONName string         `cel:"json_name"`
	Options  map[string]any `cel:"options"`
}

// Push is the push a check runs for: empty outside the registry.
type Push struct {
	Principal string `cel:"principal"`
	Module    string `cel:"module"`
}
