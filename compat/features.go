package compat

import (
	"github.com/bufbuild/protocompile/protoutil"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// This file resolves editions features: the standard ones through
// protocompile, the C++ and Java ones (extensions 1000 and 1001 of
// FeatureSet) by reading the options' raw bytes, since their Go types are
// not part of the protobuf runtime.

var featureSetFields = (*descriptorpb.FeatureSet)(nil).ProtoReflect().Descriptor().Fields()

var (
	featureUTF8Validation = featureSetFields.ByName("utf8_validation")
	featureJSONFormat     = featureSetFields.ByName("json_format")
	featureEnumType       = featureSetFields.ByName("enum_type")
)

// Numbers of the C++ and Java feature extensions and their fields.
const (
	cppFeaturesExt          = 1000
	cppStringTypeField      = 2
	javaFeaturesExt         = 1001
	javaUTF8ValidationField = 2
)

// C++ string types, as in pb.CppFeatures.StringType, plus stringPiece for
// the legacy ctype STRING_PIECE.
type cppStringType int32

const (
	cppStringTypeUnknown cppStringType = 0
	cppStringTypeView    cppStringType = 1
	cppStringTypeCord    cppStringType = 2
	cppStringTypeString  cppStringType = 3
	cppStringTypePiece   cppStringType = -1
)

func (t cppStringType) String() string {
	switch t {
	case cppStringTypeView:
		return "VIEW"
	case cppStringTypeCord:
		return "CORD"
	case cppStringTypeString:
		return "STRING"
	case cppStringTypePiece:
		return "STRING_PIECE"
	}
	return "STRING_TYPE_UNKNOWN"
}

// utf8Validation resolves the utf8_validation feature of a field.
func utf8Validation(fd protoreflect.FieldDescriptor) descriptorpb.FeatureSet_Utf8Validation {
	switch fd.ParentFile().Syntax() {
	case protoreflect.Proto2:
		return descriptorpb.FeatureSet_NONE
	case protoreflect.Proto3:
		return descriptorpb.FeatureSet_VERIFY
	}
	v, err := protoutil.ResolveFeature(fd, featureUTF8Validation)
	if err != nil {
		return descriptorpb.FeatureSet_VERIFY
	}
	return descriptorpb.FeatureSet_Utf8Validation(v.Enum())
}

// jsonFormat resolves the json_format feature of a message or enum.
func jsonFormat(d protoreflect.Descriptor) descriptorpb.FeatureSet_JsonFormat {
	switch d.ParentFile().Syntax() {
	case protoreflect.Proto2:
		return descriptorpb.FeatureSet_LEGACY_BEST_EFFORT
	case protoreflect.Proto3:
		return descriptorpb.FeatureSet_ALLOW
	}
	v, err := protoutil.ResolveFeature(d, featureJSONFormat)
	if err != nil {
		return descriptorpb.FeatureSet_ALLOW
	}
	return descriptorpb.FeatureSet_JsonFormat(v.Enum())
}

// edition returns the edition of d's file (EDITION_PROTO2 or
// EDITION_PROTO3 for syntax files).
func edition(d protoreflect.Descriptor) descriptorpb.Edition {
	switch d.ParentFile().Syntax() {
	case protoreflect.Proto2:
		return descriptorpb.Edition_EDITION_PROTO2
	case protoreflect.Proto3:
		return descriptorpb.Edition_EDITION_PROTO3
	}
	if e, ok := d.ParentFile().(interface{ Edition() int32 }); ok {
		return descriptorpb.Edition(e.Edition())
	}
	return descriptorpb.Edition_EDITION_2023
}

// fieldCppStringType returns the C++ string type of a string or bytes
// field: from the ctype option before edition 2024, else from the
// (pb.cpp).string_type feature.
func fieldCppStringType(fd protoreflect.FieldDescriptor) cppStringType {
	ed := edition(fd)
	if ed < descriptorpb.Edition_EDITION_2024 {
		if opts, _ := fd.Options().(*descriptorpb.FieldOptions); opts != nil && opts.Ctype != nil {
			switch opts.GetCtype() {
			case descriptorpb.FieldOptions_CORD:
				return cppStringTypeCord
			case descriptorpb.FieldOptions_STRING_PIECE:
				return cppStringTypePiece
			default:
				return cppStringTypeString
			}
		}
	}
	if fd.ParentFile().Syntax() == protoreflect.Editions {
		if v, ok := customFeature(fd, cppFeaturesExt, cppStringTypeField); ok {
			return cppStringType(v)
		}
	}
	if ed >= descriptorpb.Edition_EDITION_2024 {
		return cppStringTypeView
	}
	return cppStringTypeString
}

// fieldJavaUTF8Validation returns how Java validates UTF-8 in a string
// field: VERIFY when java_string_check_utf8 is on (or, in editions files
// without that option, when (pb.java).utf8_validation is VERIFY), else the
// field's utf8_validation feature.
func fieldJavaUTF8Validation(fd protoreflect.FieldDescriptor) descriptorpb.FeatureSet_Utf8Validation {
	standard := utf8Validation(fd)
	fileOpts := fileOptionsOf(fd.ParentFile())
	if fd.ParentFile().Syntax() != protoreflect.Editions || (fileOpts != nil && fileOpts.JavaStringCheckUtf8 != nil) {
		if fileOpts.GetJavaStringCheckUtf8() {
			return descriptorpb.FeatureSet_VERIFY
		}
		return standard
	}
	if v, ok := customFeature(fd, javaFeaturesExt, javaUTF8ValidationField); ok && v == 2 /* VERIFY */ {
		return descriptorpb.FeatureSet_VERIFY
	}
	return standard
}

// featureHolder is implemented by every options message.
type featureHolder interface {
	GetFeatures() *descriptorpb.FeatureSet
}

// customFeature resolves an enum-valued custom feature (field of the
// message-typed extension ext of FeatureSet) for d, walking up its parents.
func customFeature(d protoreflect.Descriptor, ext, field protowire.Number) (int32, bool) {
	for cur := d; cur != nil; cur = cur.Parent() {
		holder, ok := cur.Options().(featureHolder)
		if !ok {
			continue
		}
		features := holder.GetFeatures()
		if features == nil {
			continue
		}
		if v, ok := featureExtensionField(features.ProtoReflect(), ext, field); ok {
			return v, true
		}
	}
	return 0, false
}

// featureExtensionField reads field of the message-typed extension ext of
// a FeatureSet. Compilers that know the extension (the file imports
// cpp_features.proto or java_features.proto) store it as an extension
// field; decoded images without its Go type keep it as unknown bytes.
func featureExtensionField(features protoreflect.Message, ext, field protowire.Number) (int32, bool) {
	var (
		value int32
		found bool
	)
	features.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if !fd.IsExtension() || fd.Number() != ext || fd.Message() == nil {
			return true
		}
		msg := v.Message()
		if sub := msg.Descriptor().Fields().ByNumber(field); sub != nil && msg.Has(sub) {
			value, found = int32(msg.Get(sub).Enum()), true
		} else if raw, ok := lastField(msg.GetUnknown(), field, protowire.VarintType); ok {
			n, _ := protowire.ConsumeVarint(raw)
			value, found = int32(n), true
		}
		return false
	})
	if found {
		return value, true
	}
	if msg, ok := lastField(features.GetUnknown(), ext, protowire.BytesType); ok {
		if raw, ok := lastField(msg, field, protowire.VarintType); ok {
			n, _ := protowire.ConsumeVarint(raw)
			return int32(n), true
		}
	}
	return 0, false
}

// lastField returns the value bytes of the last occurrence of field num
// with wire type typ in raw (for bytes fields, the payload).
func lastField(raw []byte, num protowire.Number, typ protowire.Type) ([]byte, bool) {
	var found []byte
	ok := false
	for len(raw) > 0 {
		n, t, tagLen := protowire.ConsumeTag(raw)
		if tagLen < 0 {
			break
		}
		raw = raw[tagLen:]
		valueLen := protowire.ConsumeFieldValue(n, t, raw)
		if valueLen < 0 {
			break
		}
		if n == num && t == typ {
			if typ == protowire.BytesType {
				payload, _ := protowire.ConsumeBytes(raw)
				found = append(found, payload...) // repeated occurrences merge
			} else {
				found = raw[:valueLen]
			}
			ok = true
		}
		raw = raw[valueLen:]
	}
	return found, ok
}

// featureAt locates, under d's options, a standard feature field (or the
// custom feature ext.field when ext is non-zero) the way buf does: the
// feature's own location; else the deepest location above it, but not
// above the features option (e.g. a `features = {...}` literal that does
// not mention the feature). (buf would also take a location inside the
// feature, but features are scalars: there is none.) The result designates
// nothing located when d's options have no features.
func (p *pass) featureAt(d protoreflect.Descriptor, feature protoreflect.FieldNumber, ext protoreflect.FieldNumber) at {
	var sub []int32
	switch d.(type) {
	case protoreflect.FieldDescriptor:
		sub = []int32{fieldOptionsTag, fieldFeaturesTag}
	case protoreflect.MessageDescriptor:
		sub = []int32{messageOptionsTag, messageFeaturesTag}
	case protoreflect.EnumDescriptor:
		sub = []int32{enumOptionsTag, enumFeaturesTag}
	default:
		return at{}
	}
	if ext != 0 {
		sub = append(sub, int32(ext))
	}
	exact := atDesc(d, append(sub, int32(feature))...)
	if _, ok := p.sourceLocation(exact); ok || exact.path == nil {
		return exact
	}
	features := len(exact.path) - len(sub) + 1 // length of the path to the features option
	for n := len(exact.path) - 1; n >= features; n-- {
		if _, ok := p.byPath(exact.file, exact.path[:n]); ok {
			return at{file: exact.file, path: exact.path[:n]}
		}
	}
	return exact
}
