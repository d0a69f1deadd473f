package image

import (
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Index finds the named elements of an image (messages, fields, oneofs,
// enums, enum values, extensions, services, methods) by full name, and
// answers the questions checks ask about them: what contains an element,
// and what a message's data holds.
type Index struct {
	byName map[protoreflect.FullName]protoreflect.Descriptor
}

// NewIndex indexes every named element of img; a nil img has none.
func NewIndex(img *Image) *Index {
	x := &Index{byName: make(map[protoreflect.FullName]protoreflect.Descriptor)}
	if img == nil {
		return x
	}
	for _, f := range img.Files() {
		fd := f.Descriptor
		x.addEnums(fd.Enums())
		x.addFields(fd.Extensions())
		x.addMessages(fd.Messages())
		for i := 0; i < fd.Services().Len(); i++ {
			sd := fd.Services().Get(i)
			x.byName[sd.FullName()] = sd
			for j := 0; j < sd.Methods().Len(); j++ {
				x.byName[sd.Methods().Get(j).FullName()] = sd.Methods().Get(j)
			}
		}
	}
	return x
}

func (x *Index) addMessages(msgs protoreflect.MessageDescriptors) {
	for i := 0; i < msgs.Len(); i++ {
		md := msgs.Get(i)
		x.byName[md.FullName()] = md
		x.addFields(md.Fields())
		x.addFields(md.Extensions())
		for j := 0; j < md.Oneofs().Len(); j++ {
			x.byName[md.Oneofs().Get(j).FullName()] = md.Oneofs().Get(j)
		}
		x.addEnums(md.Enums())
		x.addMessages(md.Messages())
	}
}

func (x *Index) addEnums(enums protoreflect.EnumDescriptors) {
	for i := 0; i < enums.Len(); i++ {
		ed := enums.Get(i)
		x.byName[ed.FullName()] = ed
		for j := 0; j < ed.Values().Len(); j++ {
			x.byName[ed.Values().Get(j).FullName()] = ed.Values().Get(j)
		}
	}
}

type fieldList interface {
	Len() int
	Get(int) protoreflect.FieldDescriptor
}

func (x *Index) addFields(fields fieldList) {
	for i := 0; i < fields.Len(); i++ {
		x.byName[fields.Get(i).FullName()] = fields.Get(i)
	}
}

// Lookup returns the element named name, or nil.
func (x *Index) Lookup(name protoreflect.FullName) protoreflect.Descriptor {
	return x.byName[name]
}

// Message returns the message named name, or nil.
func (x *Index) Message(name protoreflect.FullName) protoreflect.MessageDescriptor {
	md, _ := x.byName[name].(protoreflect.MessageDescriptor)
	return md
}

// Container returns the full name of the message or enum that holds the
// element named name (the element itself when it is one), or "" when the
// element is not in a message or enum (a file, a package, a service) or is
// unknown. An extension belongs to the message it is declared in, not to
// the one it extends.
func (x *Index) Container(name protoreflect.FullName) protoreflect.FullName {
	for d := x.byName[name]; d != nil; d = d.Parent() {
		switch d := d.(type) {
		case protoreflect.FieldDescriptor:
			if d.IsExtension() {
				if md, ok := d.Parent().(protoreflect.MessageDescriptor); ok {
					return md.FullName()
				}
				return ""
			}
		case protoreflect.MessageDescriptor, protoreflect.EnumDescriptor:
			return d.FullName()
		case protoreflect.FileDescriptor, protoreflect.ServiceDescriptor:
			return ""
		}
	}
	return ""
}

// Reachable returns the messages and enums whose data a message named name
// holds: the message and every message and enum reachable from it through
// its fields (map entries included), transitively. It is empty when the
// index has no such message.
func (x *Index) Reachable(name protoreflect.FullName) map[protoreflect.FullName]bool {
	out := make(map[protoreflect.FullName]bool)
	var visit func(md protoreflect.MessageDescriptor)
	visit = func(md protoreflect.MessageDescriptor) {
		if out[md.FullName()] {
			return
		}
		out[md.FullName()] = true
		fields := md.Fields()
		for i := 0; i < fields.Len(); i++ {
			fd := fields.Get(i)
			if m := fd.Message(); m != nil {
				visit(m)
			}
			if e := fd.Enum(); e != nil {
				out[e.FullName()] = true
			}
		}
	}
	if md := x.Message(name); md != nil {
		visit(md)
	}
	return out
}
