package compat

import (
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Field numbers of descriptor.proto used in source paths.
const (
	fileSyntaxTag      = 12
	fileEditionTag     = 14
	filePackageTag     = 2
	fileMessagesTag    = 4
	fileEnumsTag       = 5
	fileServicesTag    = 6
	fileExtensionsTag  = 7
	fileOptionsTag     = 8
	messageFieldsTag   = 2
	messageNestedTag   = 3
	messageEnumsTag    = 4
	messageExtsTag     = 6
	messageOptionsTag  = 7
	messageOneofsTag   = 8
	enumValuesTag      = 2
	enumOptionsTag     = 3
	serviceMethodsTag  = 2
	fieldNameTag       = 1
	fieldTypeTag       = 5
	fieldTypeNameTag   = 6
	fieldDefaultTag    = 7
	fieldOptionsTag    = 8
	fieldJSONNameTag   = 10
	enumValueNumberTag = 2
	methodInputTag     = 2
	methodOutputTag    = 3
	methodOptionsTag   = 4
	// featuresTag is the "features" option field of file (50), message
	// (12), field (21) and enum (7) options.
	fileFeaturesTag    = 50
	messageFeaturesTag = 12
	fieldFeaturesTag   = 21
	enumFeaturesTag    = 7
)

// sourcePath returns the source path of d followed by sub, or nil for a
// descriptor kind that has none.
func sourcePath(d protoreflect.Descriptor, sub ...int32) protoreflect.SourcePath {
	var rev []int32 // pairs of (index, tag), innermost first
	for cur := d; !isFile(cur); cur = cur.Parent() {
		tag, ok := containerTag(cur)
		if !ok || cur.Parent() == nil {
			return nil
		}
		rev = append(rev, int32(cur.Index()), tag)
	}
	path := make(protoreflect.SourcePath, 0, len(rev)+len(sub))
	for i := len(rev) - 1; i >= 0; i-- {
		path = append(path, rev[i])
	}
	return append(path, sub...)
}

// containerTag returns the field number under which d's parent lists d.
func containerTag(d protoreflect.Descriptor) (int32, bool) {
	top := isFile(d.Parent())
	switch d := d.(type) {
	case protoreflect.MessageDescriptor:
		if top {
			return fileMessagesTag, true
		}
		return messageNestedTag, true
	case protoreflect.EnumDescriptor:
		if top {
			return fileEnumsTag, true
		}
		return messageEnumsTag, true
	case protoreflect.EnumValueDescriptor:
		return enumValuesTag, true
	case protoreflect.FieldDescriptor:
		switch {
		case !d.IsExtension():
			return messageFieldsTag, true
		case top:
			return fileExtensionsTag, true
		default:
			return messageExtsTag, true
		}
	case protoreflect.OneofDescriptor:
		return messageOneofsTag, true
	case protoreflect.ServiceDescriptor:
		return fileServicesTag, true
	case protoreflect.MethodDescriptor:
		return serviceMethodsTag, true
	}
	return 0, false
}

func isFile(d protoreflect.Descriptor) bool {
	_, ok := d.(protoreflect.FileDescriptor)
	return ok
}

// firstLocated returns the first candidate that has source info, else the
// last candidate (so the finding still names the file).
func (p *pass) firstLocated(candidates ...at) at {
	for _, c := range candidates {
		if _, ok := p.sourceLocation(c); ok {
			return c
		}
	}
	return candidates[len(candidates)-1]
}
