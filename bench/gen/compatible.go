package main

import (
	"fmt"
	"slices"
	"strings"
)

// ctxFor is a generation context for adding declarations to an existing file:
// it may use the file's own messages and well-known types only, so no new
// import can create a cycle.
func (mu *mutator) ctxFor(f *File) *fileCtx {
	parts := strings.Split(f.Package, ".")
	area := parts[len(parts)-2]
	return &fileCtx{f: f, p: &pkgInfo{name: f.Package, area: area}, used: map[*File]bool{}}
}

// newField draws a compatible new field for m: scalar, well-known or a
// message of the same file.
func (mu *mutator) newField(m *Message) *Field {
	f := m.File
	fd := &Field{Label: mu.singular(f)}
	switch w := mu.intn(100); {
	case w < 25:
		wk := pick(mu.builder, []string{"Timestamp", "Duration", "StringValue", "Struct"})
		fd.Msg, fd.Name = mu.c.wkt[wk], pick(mu.builder, wktFields[wk])
	case w < 40:
		var cands []*Message
		for _, x := range messagesOf(f) {
			if x.Top() != m.Top() {
				cands = append(cands, x)
			}
		}
		if len(cands) > 0 {
			fd.Msg = pick(mu.builder, cands)
			fd.Name = snake(fd.Msg.Name)
			mu.addRef(f, fd.Msg)
			break
		}
		fallthrough
	default:
		fd.Scalar = mu.scalar()
		fd.Name = pick(mu.builder, scalarNames[fd.Scalar])
	}
	if mu.chance(0.1) {
		fd.Label = Repeated
		fd.Name = plural(fd.Name)
	}
	if mu.chance(0.6) {
		fd.Comment = fmt.Sprintf("Added in this release: the %s.", strings.ReplaceAll(fd.Name, "_", " "))
	}
	return fd
}

// fieldRoom reports whether m can take another field number below its
// extension ranges.
func fieldRoom(m *Message) bool {
	for _, r := range m.ExtRanges {
		if m.maxNum+3 >= r.Start {
			return false
		}
	}
	return true
}

var compatibleMutations = []mutation{
	{"field_add", 60, func(mu *mutator) (Change, bool) {
		m := mu.randMessage()
		if m == nil || !fieldRoom(m) {
			return Change{}, false
		}
		fd := mu.newField(m)
		mu.addField(mu.ctxFor(m.File), m, fd)
		mu.take(m)
		return Change{File: m.File.Path, Element: fd.FullName(), Detail: fmt.Sprintf("new field %d", fd.Number)}, true
	}},
	{"message_add", 20, func(mu *mutator) (Change, bool) {
		f := mu.randFile()
		if f == nil || len(f.Messages) == 0 {
			return Change{}, false
		}
		ctx := mu.ctxFor(f)
		m := mu.newMessage(ctx, nil, mu.uniqueType(f.Package, f.Messages[0].Name+pick(mu.builder, entityNouns)))
		mu.fillMessage(ctx, m, mu.between(5, 12), 1)
		f.Messages = append(f.Messages, m)
		mu.take(m)
		return Change{File: f.Path, Element: m.FullName()}, true
	}},
	{"nested_message_add", 8, func(mu *mutator) (Change, bool) {
		m := mu.randMessage()
		if m == nil || m.Parent != nil || !fieldRoom(m) {
			return Change{}, false
		}
		ctx := mu.ctxFor(m.File)
		n := mu.newMessage(ctx, m, mu.uniqueType(m.File.Package, pick(mu.builder, nestedNouns)+pick(mu.builder, nestedNouns)))
		mu.fillMessage(ctx, n, mu.between(5, 8), 2)
		m.Nested = append(m.Nested, n)
		mu.addField(ctx, m, &Field{Name: snake(n.Name), Label: mu.singular(m.File), Msg: n, Comment: "Added in this release."})
		mu.take(m)
		return Change{File: m.File.Path, Element: n.FullName(), Detail: "with a field using it"}, true
	}},
	{"enum_add", 10, func(mu *mutator) (Change, bool) {
		f := mu.randFile()
		if f == nil || len(f.Messages) == 0 {
			return Change{}, false
		}
		e := mu.newEnum(mu.ctxFor(f), nil, f.Messages[0].Name+pick(mu.builder, enumNouns))
		f.Enums = append(f.Enums, e)
		mu.locked[e] = true
		return Change{File: f.Path, Element: e.FullName()}, true
	}},
	{"enum_value_add", 20, func(mu *mutator) (Change, bool) {
		e := mu.randEnum()
		if e == nil {
			return Change{}, false
		}
		name := e.Prefix() + pick(mu.builder, enumWords)
		for _, v := range e.Values {
			if v.Name == name {
				return Change{}, false
			}
		}
		if slices.Contains(e.ReservedNames, name) {
			return Change{}, false
		}
		mu.takeEnum(e)
		v := &EnumValue{Name: name, Number: nextEnumNumber(e), Comment: "Added in this release."}
		e.Values = append(e.Values, v)
		return Change{File: e.File.Path, Element: qualify(e.FullName(), name), Detail: fmt.Sprintf("new value %d", v.Number)}, true
	}},
	{"file_add", 10, func(mu *mutator) (Change, bool) {
		f0 := mu.randFile()
		if f0 == nil || len(f0.Messages) == 0 {
			return Change{}, false
		}
		dir := f0.Path[:strings.LastIndex(f0.Path, "/")]
		name := mu.uniqueType(f0.Package, f0.Messages[0].Name+pick(mu.builder, entityNouns))
		path := dir + "/" + snake(name) + ".proto"
		for _, g := range mu.c.Files {
			if g.Path == path {
				return Change{}, false
			}
		}
		nf := &File{Path: path, Package: f0.Package, Syntax: Proto3, Domain: f0.Domain, Header: f0.Header}
		for _, o := range f0.Options {
			if o.Name != "java_outer_classname" && !strings.HasPrefix(o.Name, "features.") {
				nf.Options = append(nf.Options, o)
			}
		}
		ctx := mu.ctxFor(nf)
		// A new file is last in the topological order of files, but it may
		// only use types of its own package and of packages generated
		// before it, as the other files do: a package importing a later one
		// would close a package-level import cycle, which buf lint's
		// PACKAGE_NO_IMPORT_CYCLE forbids in real repositories.
		first := len(mu.c.Files)
		for _, g := range mu.c.Files {
			if g.Package == nf.Package {
				first = min(first, g.Index)
			}
		}
		for i := 0; i < 4; i++ {
			g := pick(mu.builder, mu.files)
			if g.Package != nf.Package && g.Index >= first {
				continue
			}
			if !g.Deleted && len(g.Messages) > 0 && !g.Messages[0].Gone {
				ctx.importMsgs = append(ctx.importMsgs, g.Messages[0])
				mu.addRef(nf, g.Messages[0])
			}
		}
		main := mu.newMessage(ctx, nil, name)
		nf.Messages = []*Message{main}
		mu.fillMessage(ctx, main, mu.between(6, 20), 0)
		mu.useAllImportsOf(ctx, main)
		nf.Index = len(mu.c.Files)
		mu.c.Files = append(mu.c.Files, nf)
		mu.fileLocked[nf] = true
		return Change{File: path, Element: path, Detail: "new file with " + main.FullName()}, true
	}},
	{"rpc_add", 10, func(mu *mutator) (Change, bool) {
		f, s := mu.randService()
		if s == nil || f.Syntax != Proto3 {
			return Change{}, false
		}
		verb := pick(mu.builder, []string{"Describe", "Preview", "Estimate", "Reconcile", "Refresh"})
		noun := strings.TrimSuffix(s.Name, "Service")
		name := verb + noun
		for _, m := range s.Methods {
			if m.Name == name {
				return Change{}, false
			}
		}
		if mu.taken(f.Package, name+"Request") || mu.taken(f.Package, name+"Response") {
			return Change{}, false
		}
		ctx := mu.ctxFor(f)
		req := mu.newMessage(ctx, nil, mu.uniqueType(f.Package, name+"Request"))
		resp := mu.newMessage(ctx, nil, mu.uniqueType(f.Package, name+"Response"))
		mu.addField(ctx, req, &Field{Name: "name", Scalar: "string"})
		mu.fillMessage(ctx, req, mu.between(1, 4), 2)
		mu.fillMessage(ctx, resp, mu.between(2, 6), 2)
		f.Messages = append(f.Messages, req, resp)
		mu.locked[req], mu.locked[resp] = true, true
		s.Methods = append(s.Methods, &Method{Name: name, Input: req, Output: resp, Comment: name + " was added in this release."})
		mu.takeService(f, s)
		return Change{File: f.Path, Element: qualify(f.Package, s.Name+"."+name)}, true
	}},
	{"service_add", 3, func(mu *mutator) (Change, bool) {
		f, s := mu.randService()
		if s == nil || f.Syntax != Proto3 {
			return Change{}, false
		}
		name := strings.TrimSuffix(s.Name, "Service") + "ReportingService"
		if mu.taken(f.Package, name) {
			return Change{}, false
		}
		mu.claim(f.Package, name)
		ctx := mu.ctxFor(f)
		ns := &Service{Name: name, Comment: name + " serves read-only reports."}
		for _, verb := range []string{"Get", "Run"} {
			req := mu.newMessage(ctx, nil, mu.uniqueType(f.Package, verb+name[:len(name)-7]+"Request"))
			resp := mu.newMessage(ctx, nil, mu.uniqueType(f.Package, verb+name[:len(name)-7]+"Response"))
			mu.fillMessage(ctx, req, mu.between(1, 4), 2)
			mu.fillMessage(ctx, resp, mu.between(2, 6), 2)
			f.Messages = append(f.Messages, req, resp)
			mu.locked[req], mu.locked[resp] = true, true
			ns.Methods = append(ns.Methods, &Method{Name: verb + name[:len(name)-7], Input: req, Output: resp})
		}
		f.Services = append(f.Services, ns)
		mu.locked[ns] = true
		return Change{File: f.Path, Element: qualify(f.Package, name)}, true
	}},
	{"comment_change", 40, func(mu *mutator) (Change, bool) {
		m := mu.randMessage()
		if m == nil {
			return Change{}, false
		}
		mu.take(m)
		if len(m.Fields) > 0 && mu.chance(0.6) {
			fd := pick(mu.builder, m.Fields)
			fd.Comment = "Clarified: " + strings.ReplaceAll(fd.Name, "_", " ") + " is never empty once the resource is active."
			return Change{File: m.File.Path, Element: fd.FullName(), Detail: "field comment rewritten"}, true
		}
		m.Comment = m.Name + " (revised documentation): see the API guide for the lifecycle."
		return Change{File: m.File.Path, Element: m.FullName(), Detail: "message comment rewritten"}, true
	}},
	{"field_reorder", 15, func(mu *mutator) (Change, bool) {
		m := mu.randMessage()
		if m == nil || len(m.Fields) < 3 {
			return Change{}, false
		}
		mu.take(m)
		mu.r.Shuffle(len(m.Fields), func(i, j int) { m.Fields[i], m.Fields[j] = m.Fields[j], m.Fields[i] })
		return Change{File: m.File.Path, Element: m.FullName(), Detail: "field declarations reordered"}, true
	}},
	{"message_reorder", 10, func(mu *mutator) (Change, bool) {
		f := mu.randFile()
		if f == nil || len(f.Messages) < 2 {
			return Change{}, false
		}
		i := len(f.Messages) - 1
		f.Messages[0], f.Messages[i] = f.Messages[i], f.Messages[0]
		mu.fileLocked[f] = true
		return Change{File: f.Path, Element: f.Path, Detail: "first and last messages swapped"}, true
	}},
	{"field_deprecate", 10, func(mu *mutator) (Change, bool) {
		fd := mu.randField(func(fd *Field) bool { return !hasOpt(fd, "deprecated") })
		if fd == nil {
			return Change{}, false
		}
		fd.Options = append(fd.Options, Option{"deprecated", "true"})
		mu.take(fd.Parent)
		return Change{File: fd.Parent.File.Path, Element: fd.FullName(), Detail: "deprecated = true"}, true
	}},
	{"reserved_add", 6, func(mu *mutator) (Change, bool) {
		m := mu.randMessage()
		if m == nil || !fieldRoom(m) {
			return Change{}, false
		}
		mu.take(m)
		mu.reserveGap(m)
		return Change{File: m.File.Path, Element: m.FullName(), Detail: "reserved " + ranges(m.Reserved[len(m.Reserved)-1:])}, true
	}},
	{"custom_option_add", 10, func(mu *mutator) (Change, bool) {
		fd := mu.randField(func(fd *Field) bool {
			return fd.Scalar == "string" && !fd.IsMap() && !hasOpt(fd, "(acme.options.v1.sensitive)")
		})
		if fd == nil {
			return Change{}, false
		}
		fd.Options = append(fd.Options, Option{"(acme.options.v1.sensitive)", "true"})
		mu.take(fd.Parent)
		return Change{File: fd.Parent.File.Path, Element: fd.FullName(), Detail: "(acme.options.v1.sensitive) = true"}, true
	}},
	{"oneof_add", 5, func(mu *mutator) (Change, bool) {
		m := mu.randMessage()
		if m == nil || !fieldRoom(m) {
			return Change{}, false
		}
		before := len(m.Oneofs)
		mu.addOneof(mu.ctxFor(m.File), m)
		if len(m.Oneofs) == before {
			return Change{}, false
		}
		mu.take(m)
		return Change{File: m.File.Path, Element: qualify(m.FullName(), m.Oneofs[before].Name), Detail: "new oneof with new fields"}, true
	}},
	{"extension_add", 4, func(mu *mutator) (Change, bool) {
		f := mu.randFile()
		if f == nil || len(f.Extends) == 0 {
			return Change{}, false
		}
		x := pick(mu.builder, f.Extends)
		if mu.locked[x] || len(x.Fields) == 0 {
			return Change{}, false
		}
		r := x.Extendee.ExtRanges
		if len(r) == 0 || (r[0].End != Max && x.Extendee.NextExt > r[0].End) {
			return Change{}, false
		}
		parts := strings.Split(f.Package, ".")
		name := mu.uniqueExtName(f.Package, parts[len(parts)-2]+"_added_"+pick(mu.builder, scalarNames["string"]))
		fd := &Field{Name: name, Scalar: "string", Label: Explicit, Number: x.Extendee.NextExt, Comment: "Added in this release."}
		x.Extendee.NextExt++
		x.Fields = append(x.Fields, fd)
		mu.locked[x] = true
		return Change{File: f.Path, Element: qualify(f.Package, name), Detail: "extends " + x.Extendee.FullName()}, true
	}},
}

// useAllImportsOf is useAllImports for a context whose candidate types came
// from importMsgs rather than chosen files.
func (mu *mutator) useAllImportsOf(ctx *fileCtx, m *Message) {
	for _, t := range ctx.importMsgs {
		if !ctx.used[t.File] {
			mu.addField(ctx, m, &Field{Name: snake(t.Name), Label: mu.singular(ctx.f), Msg: t})
			ctx.used[t.File] = true
		}
	}
}
