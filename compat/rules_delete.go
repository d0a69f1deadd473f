package compat

import (
	"sort"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// This file holds the rules that forbid deleting an element: files,
// packages, and what files, packages, messages, enums and services contain.

// nested collects the descriptors a file (or message) declares at any
// depth, by nested name.
type nested struct {
	messages   map[string]protoreflect.MessageDescriptor
	enums      map[string]protoreflect.EnumDescriptor
	extensions map[string]protoreflect.FieldDescriptor
}

// nestedOf returns what fd declares by nested name, indexed once per pass
// and shared by the deletion rules.
func (p *pass) nestedOf(fd protoreflect.FileDescriptor) nested {
	if n, ok := p.nestedByFile[fd]; ok {
		return n
	}
	n := collectNested(fd)
	if p.nestedByFile == nil {
		p.nestedByFile = make(map[protoreflect.FileDescriptor]nested)
	}
	p.nestedByFile[fd] = n
	return n
}

func collectNested(fd protoreflect.FileDescriptor) nested {
	n := nested{
		messages:   make(map[string]protoreflect.MessageDescriptor),
		enums:      make(map[string]protoreflect.EnumDescriptor),
		extensions: make(map[string]protoreflect.FieldDescriptor),
	}
	n.add(fd.Messages(), fd.Enums(), fd.Extensions())
	return n
}

func (n nested) add(msgs protoreflect.MessageDescriptors, enums protoreflect.EnumDescriptors, exts protoreflect.ExtensionDescriptors) {
	for i := 0; i < enums.Len(); i++ {
		n.enums[nestedName(enums.Get(i))] = enums.Get(i)
	}
	for i := 0; i < exts.Len(); i++ {
		n.extensions[nestedName(exts.Get(i))] = exts.Get(i)
	}
	for i := 0; i < msgs.Len(); i++ {
		md := msgs.Get(i)
		n.messages[nestedName(md)] = md
		n.add(md.Messages(), md.Enums(), md.Extensions())
	}
}

// deletedAt locates the deletion of the element with nested name name from
// file: at the closest enclosing message that still exists in messages, or
// at the file itself.
func deletedAt(file protoreflect.FileDescriptor, messages map[string]protoreflect.MessageDescriptor, name string) at {
	for i := strings.LastIndexByte(name, '.'); i > 0; i = strings.LastIndexByte(name[:i], '.') {
		if md, ok := messages[name[:i]]; ok {
			return atDesc(md)
		}
	}
	return atFile(file)
}

func checkFileNoDelete(p *pass) {
	for _, pf := range p.prev.image.Files() {
		if p.curr.image.File(pf.Path()) == nil {
			p.report(at{}, atFile(pf.Descriptor), Both, pf.Descriptor.Package(),
				"File %q was deleted.", pf.Path())
		}
	}
}

func checkMessageNoDelete(p *pass, prev, curr protoreflect.FileDescriptor) {
	pn, cn := p.nestedOf(prev), p.nestedOf(curr)
	for name, md := range pn.messages {
		if _, ok := cn.messages[name]; !ok {
			p.report(deletedAt(curr, cn.messages, name), atDesc(md), Both, md.FullName(),
				"Message %q was deleted from the file.", name)
		}
	}
}

func checkEnumNoDelete(p *pass, prev, curr protoreflect.FileDescriptor) {
	pn, cn := p.nestedOf(prev), p.nestedOf(curr)
	for name, ed := range pn.enums {
		if _, ok := cn.enums[name]; !ok {
			p.report(deletedAt(curr, cn.messages, name), atDesc(ed), Both, ed.FullName(),
				"Enum %q was deleted from the file.", name)
		}
	}
}

func checkExtensionNoDelete(p *pass, prev, curr protoreflect.FileDescriptor) {
	pn, cn := p.nestedOf(prev), p.nestedOf(curr)
	for name, xd := range pn.extensions {
		if _, ok := cn.extensions[name]; !ok {
			p.report(deletedAt(curr, cn.messages, name), atDesc(xd), Both, xd.FullName(),
				"Extension %q was deleted from the file.", name)
		}
	}
}

func checkServiceNoDelete(p *pass, prev, curr protoreflect.FileDescriptor) {
	ps, cs := prev.Services(), curr.Services()
	for i := 0; i < ps.Len(); i++ {
		sd := ps.Get(i)
		if cs.ByName(sd.Name()) == nil {
			p.report(atFile(curr), atDesc(sd), Both, sd.FullName(),
				"Service %q was deleted from the file.", sd.Name())
		}
	}
}

// packageContents groups the files of a schema by package, with what each
// package declares by nested name.
type packageContents struct {
	files      []string
	messages   map[string]protoreflect.MessageDescriptor
	enums      map[string]protoreflect.EnumDescriptor
	extensions map[string]protoreflect.FieldDescriptor
	services   map[string]protoreflect.ServiceDescriptor
}

func packagesOf(s *schema) map[string]*packageContents {
	pkgs := make(map[string]*packageContents)
	for _, f := range s.image.Files() {
		fd := f.Descriptor
		pc := pkgs[string(fd.Package())]
		if pc == nil {
			pc = &packageContents{
				messages:   make(map[string]protoreflect.MessageDescriptor),
				enums:      make(map[string]protoreflect.EnumDescriptor),
				extensions: make(map[string]protoreflect.FieldDescriptor),
				services:   make(map[string]protoreflect.ServiceDescriptor),
			}
			pkgs[string(fd.Package())] = pc
		}
		pc.files = append(pc.files, fd.Path())
		n := nested{messages: pc.messages, enums: pc.enums, extensions: pc.extensions}
		n.add(fd.Messages(), fd.Enums(), fd.Extensions())
		for i := 0; i < fd.Services().Len(); i++ {
			sd := fd.Services().Get(i)
			pc.services[string(sd.Name())] = sd
		}
	}
	return pkgs
}

// packages returns the (cached) package contents of both schemas.
func (p *pass) packages() (prev, curr map[string]*packageContents) {
	if p.prevPackages == nil {
		p.prevPackages, p.currPackages = packagesOf(p.prev), packagesOf(p.curr)
	}
	return p.prevPackages, p.currPackages
}

func checkPackageNoDelete(p *pass) {
	prev, curr := p.packages()
	for pkg, pc := range prev {
		if _, ok := curr[pkg]; ok {
			continue
		}
		files := append([]string(nil), pc.files...)
		sort.Strings(files)
		p.report(at{}, atFile(p.prev.file(files[0])), Both, protoreflect.FullName(pkg),
			"Package %q was deleted.", pkg)
	}
}

// sameFileIn returns the current file at the path of d's file, or nil.
func (p *pass) sameFileIn(d protoreflect.Descriptor) protoreflect.FileDescriptor {
	return p.curr.file(d.ParentFile().Path())
}

// checkPackageDeletions reports the elements each previous package declared
// (elements returns them by nested name) that the package no longer
// declares. As in buf, a package is only compared when the current one
// declares elements of the kind (or always, with always set), and a
// deletion is placed by where in the current file at the previous
// element's path, if that file still exists.
func checkPackageDeletions[D protoreflect.Descriptor](p *pass, noun string, elements func(*packageContents) map[string]D, always bool,
	where func(file protoreflect.FileDescriptor, curr *packageContents, name string) at) {
	prev, curr := p.packages()
	for pkg, pc := range prev {
		cc, ok := curr[pkg]
		if !ok || (!always && len(elements(cc)) == 0) {
			continue
		}
		for name, d := range elements(pc) {
			if _, ok := elements(cc)[name]; ok {
				continue
			}
			var at at
			if file := p.sameFileIn(d); file != nil {
				at = where(file, cc, name)
			}
			p.report(at, atDesc(d), Both, d.FullName(), "%s %q was deleted from package %q.", noun, name, pkg)
		}
	}
}

func checkPackageMessageNoDelete(p *pass) {
	checkPackageDeletions(p, "Message", func(pc *packageContents) map[string]protoreflect.MessageDescriptor { return pc.messages }, false,
		func(file protoreflect.FileDescriptor, cc *packageContents, name string) at {
			return deletedAt(file, cc.messages, name)
		})
}

// deletedInFile places a deletion at the closest enclosing message that
// the element's file still declares.
func (p *pass) deletedInFile(file protoreflect.FileDescriptor, _ *packageContents, name string) at {
	return deletedAt(file, p.nestedOf(file).messages, name)
}

func checkPackageEnumNoDelete(p *pass) {
	checkPackageDeletions(p, "Enum", func(pc *packageContents) map[string]protoreflect.EnumDescriptor { return pc.enums }, false, p.deletedInFile)
}

func checkPackageExtensionNoDelete(p *pass) {
	checkPackageDeletions(p, "Extension", func(pc *packageContents) map[string]protoreflect.FieldDescriptor { return pc.extensions }, false, p.deletedInFile)
}

func checkPackageServiceNoDelete(p *pass) {
	checkPackageDeletions(p, "Service", func(pc *packageContents) map[string]protoreflect.ServiceDescriptor { return pc.services }, true,
		func(file protoreflect.FileDescriptor, _ *packageContents, _ string) at { return atFile(file) })
}

func checkRPCNoDelete(p *pass, prev, curr protoreflect.ServiceDescriptor) {
	pms, cms := prev.Methods(), curr.Methods()
	for i := 0; i < pms.Len(); i++ {
		md := pms.Get(i)
		if cms.ByName(md.Name()) == nil {
			p.report(atDesc(curr), atDesc(prev), Both, md.FullName(),
				"RPC %q was deleted from service %q.", md.Name(), curr.Name())
		}
	}
}

// fieldDeletion says how deleting a field is allowed.
type fieldDeletion int

const (
	deleteNever fieldDeletion = iota
	deleteIfNumberReserved
	deleteIfNameReserved
)

func checkFieldNoDelete(p *pass, prev, curr protoreflect.MessageDescriptor) {
	checkFieldDeletion(p, prev, curr, deleteNever, Both)
}

func checkFieldNoDeleteUnlessNumberReserved(p *pass, prev, curr protoreflect.MessageDescriptor) {
	checkFieldDeletion(p, prev, curr, deleteIfNumberReserved, Both)
}

func checkFieldNoDeleteUnlessNameReserved(p *pass, prev, curr protoreflect.MessageDescriptor) {
	checkFieldDeletion(p, prev, curr, deleteIfNameReserved, Backward)
}

func checkFieldDeletion(p *pass, prev, curr protoreflect.MessageDescriptor, allow fieldDeletion, dirs Direction) {
	pfs, cfs := prev.Fields(), curr.Fields()
	for i := 0; i < pfs.Len(); i++ {
		fd := pfs.Get(i)
		if cfs.ByNumber(fd.Number()) != nil {
			continue
		}
		suffix := ""
		switch allow {
		case deleteIfNumberReserved:
			if curr.ReservedRanges().Has(fd.Number()) {
				continue
			}
			suffix = " without reserving its number"
		case deleteIfNameReserved:
			if curr.ReservedNames().Has(fd.Name()) {
				continue
			}
			suffix = " without reserving its name"
		}
		p.report(atDesc(curr), atDesc(prev), dirs, fd.FullName(),
			"%s was deleted%s.", capitalize(describeField(fd)), suffix)
	}
}

func checkOneofNoDelete(p *pass, prev, curr protoreflect.MessageDescriptor) {
	pos, cos := prev.Oneofs(), curr.Oneofs()
	for i := 0; i < pos.Len(); i++ {
		od := pos.Get(i)
		if od.IsSynthetic() || cos.ByName(od.Name()) != nil {
			continue
		}
		p.report(atDesc(curr), atDesc(prev), Both, od.FullName(),
			"Oneof %q was deleted from message %q.", od.Name(), nestedName(curr))
	}
}

// enumValueDeletion says how deleting an enum value is allowed.
type enumValueDeletion int

const (
	valueDeleteNever enumValueDeletion = iota
	valueDeleteIfNumberReserved
	valueDeleteIfNameReserved
)

func checkEnumValueNoDelete(p *pass, prev, curr protoreflect.EnumDescriptor) {
	checkEnumValueDeletion(p, prev, curr, valueDeleteNever, Both)
}

func checkEnumValueNoDeleteUnlessNumberReserved(p *pass, prev, curr protoreflect.EnumDescriptor) {
	checkEnumValueDeletion(p, prev, curr, valueDeleteIfNumberReserved, Both)
}

func checkEnumValueNoDeleteUnlessNameReserved(p *pass, prev, curr protoreflect.EnumDescriptor) {
	checkEnumValueDeletion(p, prev, curr, valueDeleteIfNameReserved, Backward)
}

func checkEnumValueDeletion(p *pass, prev, curr protoreflect.EnumDescriptor, allow enumValueDeletion, dirs Direction) {
	currValues := curr.Values()
	for number, group := range valuesByNumber(prev) {
		if currValues.ByNumber(number) != nil {
			continue
		}
		names := group.names()
		suffix := ""
		switch allow {
		case valueDeleteIfNumberReserved:
			if curr.ReservedRanges().Has(number) {
				continue
			}
			suffix = " without reserving its number"
		case valueDeleteIfNameReserved:
			reserved := true
			for _, name := range names {
				reserved = reserved && curr.ReservedNames().Has(protoreflect.Name(name))
			}
			if reserved {
				continue
			}
			suffix = " without reserving its " + plural(len(names), "name")
		}
		p.report(atDesc(curr), atDesc(prev), dirs, group.values[0].FullName(),
			"Enum value %d (%s) was deleted from enum %q%s.", number, quoteAll(names), nestedName(curr), suffix)
	}
}

// names returns the sorted names of the group's values.
func (g enumValueGroup) names() []string {
	names := make([]string, len(g.values))
	for i, v := range g.values {
		names[i] = string(v.Name())
	}
	sort.Strings(names)
	return names
}
