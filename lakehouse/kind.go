package lakehouse

import "google.golang.org/protobuf/reflect/protoreflect"

// Kind is how a field's value is carried in proto-JSON, which decides the
// column type a generator gives it.
type Kind string

// The kinds. Scalar kinds follow protobuf's JSON mapping; well-known
// message types with a scalar JSON form get their own kind; everything else
// (messages, repeated fields, maps, Struct, Any, …) is [KindJSON].
const (
	KindBool      Kind = "bool"      // JSON true/false
	KindInt32     Kind = "int32"     // int32, sint32, sfixed32: number or string
	KindUint32    Kind = "uint32"    // uint32, fixed32: number or string
	KindInt64     Kind = "int64"     // int64, sint64, sfixed64: string or number
	KindUint64    Kind = "uint64"    // uint64, fixed64: string or number, up to 2^64-1
	KindFloat     Kind = "float"     // number, or "NaN", "Infinity", "-Infinity"
	KindDouble    Kind = "double"    // number, or "NaN", "Infinity", "-Infinity"
	KindString    Kind = "string"    // JSON string
	KindBytes     Kind = "bytes"     // base64 string, standard or URL-safe, padded or not
	KindEnum      Kind = "enum"      // value name, or number
	KindTimestamp Kind = "timestamp" // google.protobuf.Timestamp: RFC 3339 string
	KindJSON      Kind = "json"      // anything else: kept as JSON
)

// Scalar reports whether k has a scalar SQL form (every kind but KindJSON).
func (k Kind) Scalar() bool { return k != KindJSON && k != "" }

// wrappers maps the wrapper well-known types to the kind of their value:
// their JSON form is the wrapped value itself.
var wrappers = map[protoreflect.FullName]Kind{
	"google.protobuf.BoolValue":   KindBool,
	"google.protobuf.Int32Value":  KindInt32,
	"google.protobuf.UInt32Value": KindUint32,
	"google.protobuf.Int64Value":  KindInt64,
	"google.protobuf.UInt64Value": KindUint64,
	"google.protobuf.FloatValue":  KindFloat,
	"google.protobuf.DoubleValue": KindDouble,
	"google.protobuf.StringValue": KindString,
	"google.protobuf.BytesValue":  KindBytes,
}

// KindOf returns the kind of field f's JSON value.
func KindOf(f protoreflect.FieldDescriptor) Kind {
	if f.IsList() || f.IsMap() {
		return KindJSON
	}
	switch f.Kind() {
	case protoreflect.BoolKind:
		return KindBool
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return KindInt32
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return KindUint32
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return KindInt64
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return KindUint64
	case protoreflect.FloatKind:
		return KindFloat
	case protoreflect.DoubleKind:
		return KindDouble
	case protoreflect.StringKind:
		return KindString
	case protoreflect.BytesKind:
		return KindBytes
	case protoreflect.EnumKind:
		if f.Enum().FullName() == "google.protobuf.NullValue" {
			return KindJSON
		}
		return KindEnum
	case protoreflect.MessageKind, protoreflect.GroupKind:
		name := f.Message().FullName()
		if name == "google.protobuf.Timestamp" {
			return KindTimestamp
		}
		if k, ok := wrappers[name]; ok {
			return k
		}
	}
	return KindJSON
}
