package compat

import (
	"cmp"
	"fmt"
	"slices"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pbregistry/pbregistry/image"
)

// ChangeKind says whether an element was added, removed or changed.
type ChangeKind string

// The kinds of change.
const (
	ChangeAdded   ChangeKind = "added"
	ChangeRemoved ChangeKind = "removed"
	ChangeChanged ChangeKind = "changed"
)

// Change is one line of a changelog: an element of a schema added, removed
// or changed, compatible or not.
type Change struct {
	// Kind is ChangeAdded, ChangeRemoved or ChangeChanged.
	Kind ChangeKind
	// Element is the fully-qualified name of the element (a file's path
	// for files).
	Element string
	// Description says what changed, e.g. `field 7 "amount" on message
	// "Invoice" changed type from int64 to string`.
	Description string
}

// Changelog lists every difference between the input files of previous
// and current: files, messages, fields (by number), oneofs, enums, enum
// values (by number), extensions, services and methods added or removed,
// and fields, enum values and methods changed. Changes are sorted by
// element, then kind and description. It performs no I/O.
func Changelog(previous, current *image.Image) []Change {
	prev, curr := changelogIndex(previous), changelogIndex(current)
	var out []Change
	add := func(kind ChangeKind, element, format string, args ...any) {
		out = append(out, Change{Kind: kind, Element: element, Description: fmt.Sprintf(format, args...)})
	}
	for p := range curr.files {
		if !prev.files[p] {
			add(ChangeAdded, p, "file %s added", p)
		}
	}
	for p := range prev.files {
		if !curr.files[p] {
			add(ChangeRemoved, p, "file %s removed", p)
		}
	}
	for name, d := range curr.decls {
		old, ok := prev.decls[name]
		if !ok {
			add(ChangeAdded, changelogElement(d), "%s added", changelogDescribe(d))
			continue
		}
		changelogDiff(old, d, add)
	}
	for name, d := range prev.decls {
		if _, ok := curr.decls[name]; !ok {
			add(ChangeRemoved, changelogElement(d), "%s removed", changelogDescribe(d))
		}
	}
	slices.SortFunc(out, func(a, b Change) int {
		return cmp.Or(cmp.Compare(a.Element, b.Element), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Description, b.Description))
	})
	return out
}

// changelogIndexed holds the input files and declarations of an image.
type changelogIndexed struct {
	files map[string]bool
	// decls are messages, enums, services, methods, oneofs and
	// extensions by full name; fields by "<message>#<number>", enum
	// values by "<enum>#<number>", since those keep their identity
	// through renames.
	decls map[protoreflect.FullName]protoreflect.Descriptor
}

func changelogIndex(img *image.Image) changelogIndexed {
	ix := changelogIndexed{files: map[string]bool{}, decls: map[protoreflect.FullName]protoreflect.Descriptor{}}
	if img == nil {
		return ix
	}
	for _, f := range img.InputFiles() {
		fd := f.Descriptor
		ix.files[fd.Path()] = true
		ix.addEnums(fd.Enums())
		ix.addMessages(fd.Messages())
		for i := 0; i < fd.Extensions().Len(); i++ {
			ix.decls[fd.Extensions().Get(i).FullName()] = fd.Extensions().Get(i)
		}
		for i := 0; i < fd.Services().Len(); i++ {
			sd := fd.Services().Get(i)
			ix.decls[sd.FullName()] = sd
			for j := 0; j < sd.Methods().Len(); j++ {
				ix.decls[sd.Methods().Get(j).FullName()] = sd.Methods().Get(j)
			}
		}
	}
	return ix
}

func (ix changelogIndexed) addMessages(msgs protoreflect.MessageDescriptors) {
	for i := 0; i < msgs.Len(); i++ {
		md := msgs.Get(i)
		if md.IsMapEntry() {
			continue
		}
		ix.decls[md.FullName()] = md
		for j := 0; j < md.Fields().Len(); j++ {
			fd := md.Fields().Get(j)
			ix.decls[changelogKey(md.FullName(), int32(fd.Number()))] = fd
		}
		for j := 0; j < md.Oneofs().Len(); j++ {
			if od := md.Oneofs().Get(j); !od.IsSynthetic() {
				ix.decls[od.FullName()] = od
			}
		}
		for j := 0; j < md.Extensions().Len(); j++ {
			ix.decls[md.Extensions().Get(j).FullName()] = md.Extensions().Get(j)
		}
		ix.addEnums(md.Enums())
		ix.addMessages(md.Messages())
	}
}

func (ix changelogIndexed) addEnums(enums protoreflect.EnumDescriptors) {
	for i := 0; i < enums.Len(); i++ {
		ed := enums.Get(i)
		ix.decls[ed.FullName()] = ed
		for j := 0; j < ed.Values().Len(); j++ {
			ix.decls[changelogKey(ed.FullName(), int32(ed.Values().Get(j).Number()))] = ed.Values().Get(j)
		}
	}
}

// changelogKey is the key of a field or enum value: its parent and number.
func changelogKey(parent protoreflect.FullName, n int32) protoreflect.FullName {
	return protoreflect.FullName(fmt.Sprintf("%s#%d", parent, n))
}

// changelogDescribe names a declaration for a changelog line.
func changelogDescribe(d protoreflect.Descriptor) string {
	switch d := d.(type) {
	case protoreflect.FieldDescriptor:
		if d.IsExtension() {
			return fmt.Sprintf("extension %d %q of %q (%s)", d.Number(), d.FullName(), d.ContainingMessage().FullName(), changelogType(d))
		}
		return fmt.Sprintf("%s (%s)", describeField(d), changelogType(d))
	case protoreflect.EnumValueDescriptor:
		return fmt.Sprintf("enum value %d %q on enum %q", d.Number(), d.Name(), nestedName(d.Parent()))
	case protoreflect.MessageDescriptor:
		return fmt.Sprintf("message %q", nestedName(d))
	case protoreflect.EnumDescriptor:
		return fmt.Sprintf("enum %q", nestedName(d))
	case protoreflect.OneofDescriptor:
		return fmt.Sprintf("oneof %q on message %q", d.Name(), nestedName(d.Parent()))
	case protoreflect.ServiceDescriptor:
		return fmt.Sprintf("service %q", nestedName(d))
	case protoreflect.MethodDescriptor:
		return fmt.Sprintf("method %q on service %q (%s)", d.Name(), nestedName(d.Parent()), changelogSignature(d))
	}
	return string(d.FullName())
}

// changelogElement is the full name a change reports for d.
func changelogElement(d protoreflect.Descriptor) string { return string(d.FullName()) }

// changelogDiff reports how a declaration present in both images changed.
func changelogDiff(old, curr protoreflect.Descriptor, add func(kind ChangeKind, element, format string, args ...any)) {
	switch c := curr.(type) {
	case protoreflect.FieldDescriptor:
		o := old.(protoreflect.FieldDescriptor)
		what := describeField(o)
		if o.Name() != c.Name() {
			add(ChangeChanged, changelogElement(c), "%s renamed to %q", what, c.Name())
		}
		if ot, ct := changelogType(o), changelogType(c); ot != ct {
			add(ChangeChanged, changelogElement(c), "%s changed type from %s to %s", what, ot, ct)
		}
		if oc, cc := changelogCardinality(o), changelogCardinality(c); oc != cc {
			add(ChangeChanged, changelogElement(c), "%s changed from %s to %s", what, oc, cc)
		}
		if o.JSONName() != c.JSONName() && o.Name() == c.Name() {
			add(ChangeChanged, changelogElement(c), "%s changed JSON name from %q to %q", what, o.JSONName(), c.JSONName())
		}
		if oo, co := changelogOneof(o), changelogOneof(c); oo != co {
			add(ChangeChanged, changelogElement(c), "%s moved from %s to %s", what, oo, co)
		}
	case protoreflect.EnumValueDescriptor:
		o := old.(protoreflect.EnumValueDescriptor)
		if o.Name() != c.Name() {
			add(ChangeChanged, changelogElement(c), "enum value %d %q on enum %q renamed to %q", o.Number(), o.Name(), nestedName(o.Parent()), c.Name())
		}
	case protoreflect.MethodDescriptor:
		o := old.(protoreflect.MethodDescriptor)
		if os, cs := changelogSignature(o), changelogSignature(c); os != cs {
			add(ChangeChanged, changelogElement(c), "method %q on service %q changed from %s to %s", c.Name(), nestedName(c.Parent()), os, cs)
		}
	case protoreflect.MessageDescriptor, protoreflect.EnumDescriptor, protoreflect.ServiceDescriptor, protoreflect.OneofDescriptor:
		if po, pc := old.ParentFile().Path(), curr.ParentFile().Path(); po != pc {
			add(ChangeChanged, changelogElement(c), "%s moved from file %s to %s", changelogDescribe(c), po, pc)
		}
	}
}

// changelogType names a field's type: a scalar kind, a message or enum's full
// name, or map<K, V>.
func changelogType(fd protoreflect.FieldDescriptor) string {
	if fd.IsMap() {
		return fmt.Sprintf("map<%s, %s>", changelogType(fd.MapKey()), changelogType(fd.MapValue()))
	}
	if n := typeName(fd); n != "" {
		return string(n)
	}
	return kindName(fd)
}

// changelogCardinality names a field's cardinality: "repeated", "required",
// "optional" (explicit presence) or "singular".
func changelogCardinality(fd protoreflect.FieldDescriptor) string {
	switch {
	case fd.IsList() || fd.IsMap():
		return "repeated"
	case fd.Cardinality() == protoreflect.Required:
		return "required"
	case fd.HasPresence() && fd.Message() == nil && fd.ContainingOneof() == nil:
		return "optional"
	}
	return "singular"
}

// changelogOneof names the real oneof a field belongs to, or "no oneof".
func changelogOneof(fd protoreflect.FieldDescriptor) string {
	if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
		return fmt.Sprintf("oneof %q", od.Name())
	}
	return "no oneof"
}

// changelogSignature writes a method's request and response types with streaming.
func changelogSignature(md protoreflect.MethodDescriptor) string {
	stream := func(s bool) string {
		if s {
			return "stream "
		}
		return ""
	}
	return fmt.Sprintf("%s%s → %s%s", stream(md.IsStreamingClient()), md.Input().FullName(), stream(md.IsStreamingServer()), md.Output().FullName())
}
