package compat

import (
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/image"
)

// schema indexes one image for pairing.
type schema struct {
	image    *image.Image
	messages map[protoreflect.FullName]protoreflect.MessageDescriptor
	enums    map[protoreflect.FullName]protoreflect.EnumDescriptor
	services map[protoreflect.FullName]protoreflect.ServiceDescriptor
	// extensions maps an extendee to its extensions by number.
	extensions map[protoreflect.FullName]map[protoreflect.FieldNumber]protoreflect.FieldDescriptor
	// imports holds the paths of files that are imports.
	imports map[string]bool
}

func newSchema(img *image.Image) *schema {
	s := &schema{
		image:      img,
		messages:   make(map[protoreflect.FullName]protoreflect.MessageDescriptor),
		enums:      make(map[protoreflect.FullName]protoreflect.EnumDescriptor),
		services:   make(map[protoreflect.FullName]protoreflect.ServiceDescriptor),
		extensions: make(map[protoreflect.FullName]map[protoreflect.FieldNumber]protoreflect.FieldDescriptor),
		imports:    make(map[string]bool),
	}
	for _, f := range img.Files() {
		if f.IsImport {
			s.imports[f.Path()] = true
		}
		fd := f.Descriptor
		s.addEnums(fd.Enums())
		s.addExtensions(fd.Extensions())
		s.addMessages(fd.Messages())
		services := fd.Services()
		for i := 0; i < services.Len(); i++ {
			sd := services.Get(i)
			s.services[sd.FullName()] = sd
		}
	}
	return s
}

func (s *schema) addMessages(msgs protoreflect.MessageDescriptors) {
	for i := 0; i < msgs.Len(); i++ {
		md := msgs.Get(i)
		s.messages[md.FullName()] = md
		s.addEnums(md.Enums())
		s.addExtensions(md.Extensions())
		s.addMessages(md.Messages())
	}
}

func (s *schema) addEnums(enums protoreflect.EnumDescriptors) {
	for i := 0; i < enums.Len(); i++ {
		ed := enums.Get(i)
		s.enums[ed.FullName()] = ed
	}
}

func (s *schema) addExtensions(exts protoreflect.ExtensionDescriptors) {
	for i := 0; i < exts.Len(); i++ {
		xd := exts.Get(i)
		extendee := xd.ContainingMessage().FullName()
		byNumber := s.extensions[extendee]
		if byNumber == nil {
			byNumber = make(map[protoreflect.FieldNumber]protoreflect.FieldDescriptor)
			s.extensions[extendee] = byNumber
		}
		byNumber[xd.Number()] = xd
	}
}

// isImport reports whether the file of d is an import.
func (s *schema) isImport(d protoreflect.Descriptor) bool {
	return s.imports[d.ParentFile().Path()]
}

// file returns the file at path, or nil.
func (s *schema) file(path string) protoreflect.FileDescriptor {
	if f := s.image.File(path); f != nil {
		return f.Descriptor
	}
	return nil
}

// enumValueGroup is the set of values an enum has for one number: several
// when the enum allows aliases.
type enumValueGroup struct {
	enum   protoreflect.EnumDescriptor
	number protoreflect.EnumNumber
	values []protoreflect.EnumValueDescriptor
}

// valuesByNumber groups the values of ed by number, in declaration order.
func valuesByNumber(ed protoreflect.EnumDescriptor) map[protoreflect.EnumNumber]enumValueGroup {
	values := ed.Values()
	m := make(map[protoreflect.EnumNumber]enumValueGroup, values.Len())
	for i := 0; i < values.Len(); i++ {
		v := values.Get(i)
		g := m[v.Number()]
		g.enum, g.number = ed, v.Number()
		g.values = append(g.values, v)
		m[v.Number()] = g
	}
	return m
}
