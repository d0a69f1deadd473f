package registry

import (
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/image"
)

// names indexes every named element of an image (messages, fields, oneofs,
// enums, enum values, extensions, services, methods) by full name.
type names map[protoreflect.FullName]protoreflect.Descriptor

func indexNames(img *image.Image) names {
	n := make(names)
	if img == nil {
		return n
	}
	for _, f := range img.Files() {
		fd := f.Descriptor
		n.addEnums(fd.Enums())
		n.addFields(fd.Extensions())
		n.addMessages(fd.Messages())
		for i := 0; i < fd.Services().Len(); i++ {
			sd := fd.Services().Get(i)
			n[sd.FullName()] = sd
			for j := 0; j < sd.Methods().Len(); j++ {
				n[sd.Methods().Get(j).FullName()] = sd.Methods().Get(j)
			}
		}
	}
	return n
}

func (n names) addMessages(msgs protoreflect.MessageDescriptors) {
	for i := 0; i < msgs.Len(); i++ {
		md := msgs.Get(i)
		n[md.FullName()] = md
		n.addFields(md.Fields())
		n.addFields(md.Extensions())
		for j := 0; j < md.Oneofs().Len(); j++ {
			n[md.Oneofs().Get(j).FullName()] = md.Oneofs().Get(j)
		}
		n.addEnums(md.Enums())
		n.addMessages(md.Messages())
	}
}

func (n names) addEnums(enums protoreflect.EnumDescriptors) {
	for i := 0; i < enums.Len(); i++ {
		ed := enums.Get(i)
		n[ed.FullName()] = ed
		for j := 0; j < ed.Values().Len(); j++ {
			n[ed.Values().Get(j).FullName()] = ed.Values().Get(j)
		}
	}
}

type fieldList interface {
	Len() int
	Get(int) protoreflect.FieldDescriptor
}

func (n names) addFields(fields fieldList) {
	for i := 0; i < fields.Len(); i++ {
		n[fields.Get(i).FullName()] = fields.Get(i)
	}
}

// container returns the full name of the message or enum that holds the
// element named name (the element itself when it is one), or "" when the
// element is not in a message or enum (a file, a package, a service).
func (n names) container(name string) protoreflect.FullName {
	d, ok := n[protoreflect.FullName(name)]
	if !ok {
		return ""
	}
	for ; d != nil; d = d.Parent() {
		switch d := d.(type) {
		case protoreflect.FieldDescriptor:
			if d.IsExtension() {
				// An extension belongs to where it is declared, not to
				// the message it extends.
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

// scope is the set of messages and enums whose data a subject's message
// holds: the message itself and every message and enum reachable from it
// through its fields, nested or not, transitively.
type scope map[protoreflect.FullName]bool

// scopeOf returns the scope of message name in n; empty if n has no such
// message.
func scopeOf(n names, name string) scope {
	s := make(scope)
	md, ok := n[protoreflect.FullName(name)].(protoreflect.MessageDescriptor)
	if !ok {
		return s
	}
	var visit func(md protoreflect.MessageDescriptor)
	visit = func(md protoreflect.MessageDescriptor) {
		if s[md.FullName()] {
			return
		}
		s[md.FullName()] = true
		fields := md.Fields()
		for i := 0; i < fields.Len(); i++ {
			fd := fields.Get(i)
			if m := fd.Message(); m != nil {
				visit(m)
			}
			if e := fd.Enum(); e != nil {
				s[e.FullName()] = true
			}
		}
	}
	visit(md)
	return s
}

// union adds the members of other to s.
func (s scope) union(other scope) scope {
	for k := range other {
		s[k] = true
	}
	return s
}
