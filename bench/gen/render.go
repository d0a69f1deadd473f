package main

import (
	"fmt"
	"slices"
	"strings"
)

// optionsPath is the file that declares the custom options.
const optionsPath = "acme/options/v1/annotations.proto"

// customPrefix starts the name of every custom option of the corpus.
const customPrefix = "(acme.options.v1."

// Render returns the .proto source text of f.
func Render(f *File) []byte {
	r := &renderer{f: f}
	r.file()
	return []byte(r.b.String())
}

// renderer writes one file; it resolves type names relative to the file's
// package and computes the imports from what the file references.
type renderer struct {
	f      *File
	b      strings.Builder
	indent int
}

func (r *renderer) line(format string, args ...any) {
	if format == "" {
		r.b.WriteByte('\n')
		return
	}
	r.b.WriteString(strings.Repeat("  ", r.indent))
	fmt.Fprintf(&r.b, format, args...)
	r.b.WriteByte('\n')
}

func (r *renderer) comment(c string) {
	if c == "" {
		return
	}
	for _, l := range strings.Split(c, "\n") {
		r.line("// %s", l)
	}
}

func (r *renderer) file() {
	f := r.f
	if f.Header != "" {
		for _, l := range strings.Split(f.Header, "\n") {
			r.b.WriteString(l + "\n")
		}
		r.line("")
	}
	switch f.Syntax {
	case Proto2:
		r.line(`syntax = "proto2";`)
	case Proto3:
		r.line(`syntax = "proto3";`)
	case Edition2023:
		r.line(`edition = "2023";`)
	}
	r.line("")
	r.line("package %s;", f.Package)
	if imps := Imports(f); len(imps) > 0 {
		r.line("")
		for _, p := range imps {
			r.line("import %q;", p)
		}
	}
	opts := append([]Option(nil), f.Options...)
	if f.Syntax == Edition2023 {
		if f.ClosedEnums {
			opts = append(opts, Option{"features.enum_type", "CLOSED"})
		}
		if f.ImplicitPresence {
			opts = append(opts, Option{"features.field_presence", "IMPLICIT"})
		}
		if f.LegacyJSON {
			opts = append(opts, Option{"features.json_format", "LEGACY_BEST_EFFORT"})
		}
		if f.ExpandedRepeated {
			opts = append(opts, Option{"features.repeated_field_encoding", "EXPANDED"})
		}
	}
	if len(opts) > 0 {
		r.line("")
		for _, o := range opts {
			r.line("option %s = %s;", o.Name, o.Value)
		}
	}
	if f.ServiceFirst {
		for _, s := range f.Services {
			r.line("")
			r.service(s)
		}
	}
	for _, m := range f.Messages {
		if !m.Gone {
			r.line("")
			r.message(m)
		}
	}
	for _, e := range f.Enums {
		if !e.Gone {
			r.line("")
			r.enum(e)
		}
	}
	if !f.ServiceFirst {
		for _, s := range f.Services {
			r.line("")
			r.service(s)
		}
	}
	for _, x := range f.Extends {
		if len(x.Fields) == 0 {
			continue
		}
		r.line("")
		r.line("extend %s {", r.typeName(x.Extendee.File, x.Extendee.Path()))
		r.indent++
		for _, fd := range x.Fields {
			r.field(fd)
		}
		r.indent--
		r.line("}")
	}
}

// typeName is how file r.f refers to a type: relative within its package,
// fully qualified otherwise.
func (r *renderer) typeName(file *File, path string) string {
	if file.Package == r.f.Package {
		return path
	}
	return qualify(file.Package, path)
}

func (r *renderer) message(m *Message) {
	r.comment(m.Comment)
	r.line("message %s {", m.Name)
	r.body(m)
	r.line("}")
}

func (r *renderer) body(m *Message) {
	r.indent++
	for _, o := range m.Options {
		r.line("option %s = %s;", o.Name, o.Value)
	}
	if len(m.Options) > 0 && len(m.Fields) > 0 {
		r.line("")
	}
	done := map[*Oneof]bool{}
	for _, fd := range m.Fields {
		if fd.Oneof == nil {
			r.field(fd)
			continue
		}
		if done[fd.Oneof] {
			continue
		}
		done[fd.Oneof] = true
		r.comment(fd.Oneof.Comment)
		r.line("oneof %s {", fd.Oneof.Name)
		r.indent++
		for _, of := range m.Fields {
			if of.Oneof == fd.Oneof {
				r.field(of)
			}
		}
		r.indent--
		r.line("}")
	}
	for _, e := range m.Enums {
		if !e.Gone {
			r.line("")
			r.enum(e)
		}
	}
	for _, n := range m.Nested {
		if !n.Gone && !n.Group {
			r.line("")
			r.message(n)
		}
	}
	if len(m.Reserved) > 0 || len(m.ReservedNames) > 0 || len(m.ExtRanges) > 0 {
		r.line("")
	}
	if len(m.Reserved) > 0 {
		r.line("reserved %s;", ranges(m.Reserved))
	}
	if len(m.ReservedNames) > 0 {
		r.line("reserved %s;", r.names(m.ReservedNames))
	}
	if len(m.ExtRanges) > 0 {
		r.line("extensions %s;", ranges(m.ExtRanges))
	}
	r.indent--
}

func ranges(rs []Range) string {
	var parts []string
	for _, rg := range rs {
		switch {
		case rg.End == Max:
			parts = append(parts, fmt.Sprintf("%d to max", rg.Start))
		case rg.Start == rg.End:
			parts = append(parts, fmt.Sprint(rg.Start))
		default:
			parts = append(parts, fmt.Sprintf("%d to %d", rg.Start, rg.End))
		}
	}
	return strings.Join(parts, ", ")
}

// names renders reserved names: quoted strings, bare identifiers in editions.
func (r *renderer) names(names []string) string {
	var parts []string
	for _, n := range names {
		if r.f.Syntax == Edition2023 {
			parts = append(parts, n)
		} else {
			parts = append(parts, fmt.Sprintf("%q", n))
		}
	}
	return strings.Join(parts, ", ")
}

// label is the keyword before a field's type.
func (r *renderer) label(fd *Field) string {
	if fd.Oneof != nil || fd.IsMap() {
		return ""
	}
	switch r.f.Syntax {
	case Proto2:
		switch fd.Label {
		case Required:
			return "required "
		case Repeated:
			return "repeated "
		}
		return "optional "
	case Proto3:
		switch fd.Label {
		case Explicit:
			return "optional "
		case Repeated:
			return "repeated "
		}
		return ""
	}
	if fd.Label == Repeated {
		return "repeated "
	}
	return ""
}

// presence is the editions field_presence feature a field needs, if any.
func (r *renderer) presence(fd *Field) string {
	if r.f.Syntax != Edition2023 || fd.Oneof != nil || fd.IsMap() || fd.Label == Repeated {
		return ""
	}
	switch fd.Label {
	case Required:
		return "LEGACY_REQUIRED"
	case Explicit:
		if r.f.ImplicitPresence && fd.Msg == nil && fd.Parent != nil {
			return "EXPLICIT"
		}
	case Implicit:
		if !r.f.ImplicitPresence && fd.Msg == nil && fd.Parent != nil {
			return "IMPLICIT"
		}
	}
	return ""
}

func (r *renderer) valueType(fd *Field) string {
	switch {
	case fd.Msg != nil:
		if inScope(fd.Parent, fd.Msg.Parent) {
			return fd.Msg.Name
		}
		return r.typeName(fd.Msg.File, fd.Msg.Path())
	case fd.Enum != nil:
		if inScope(fd.Parent, fd.Enum.Parent) {
			return fd.Enum.Name
		}
		return r.typeName(fd.Enum.File, fd.Enum.Path())
	}
	return fd.Scalar
}

// inScope reports whether a type declared in message parent can be named by
// its simple name from message scope: parent is scope or encloses it. Type
// names are unique in a package, so no nearer declaration can shadow it.
func inScope(scope, parent *Message) bool {
	if parent == nil {
		return false
	}
	for m := scope; m != nil; m = m.Parent {
		if m == parent {
			return true
		}
	}
	return false
}

func (r *renderer) field(fd *Field) {
	r.comment(fd.Comment)
	opts := fd.Options
	if p := r.presence(fd); p != "" {
		opts = append([]Option{{"features.field_presence", p}}, opts...)
	}
	suffix := ""
	if len(opts) > 0 {
		var parts []string
		for _, o := range opts {
			parts = append(parts, o.Name+" = "+o.Value)
		}
		suffix = " [" + strings.Join(parts, ", ") + "]"
	}
	trailing := ""
	if fd.Trailing != "" {
		trailing = " // " + fd.Trailing
	}
	switch {
	case fd.Group:
		r.line("%sgroup %s = %d%s {%s", r.label(fd), fd.Msg.Name, fd.Number, suffix, trailing)
		r.body(fd.Msg)
		r.line("}")
	case fd.IsMap():
		r.line("map<%s, %s> %s = %d%s;%s", fd.MapKey, r.valueType(fd), fd.Name, fd.Number, suffix, trailing)
	default:
		r.line("%s%s %s = %d%s;%s", r.label(fd), r.valueType(fd), fd.Name, fd.Number, suffix, trailing)
	}
}

func (r *renderer) enum(e *Enum) {
	r.comment(e.Comment)
	r.line("enum %s {", e.Name)
	r.indent++
	for _, o := range e.Options {
		r.line("option %s = %s;", o.Name, o.Value)
	}
	for _, v := range e.Values {
		r.comment(v.Comment)
		if len(v.Options) > 0 {
			var parts []string
			for _, o := range v.Options {
				parts = append(parts, o.Name+" = "+o.Value)
			}
			r.line("%s = %d [%s];", v.Name, v.Number, strings.Join(parts, ", "))
		} else {
			r.line("%s = %d;", v.Name, v.Number)
		}
	}
	if len(e.Reserved) > 0 {
		r.line("reserved %s;", ranges(e.Reserved))
	}
	if len(e.ReservedNames) > 0 {
		r.line("reserved %s;", r.names(e.ReservedNames))
	}
	r.indent--
	r.line("}")
}

func (r *renderer) service(s *Service) {
	r.comment(s.Comment)
	r.line("service %s {", s.Name)
	r.indent++
	for _, o := range s.Options {
		r.line("option %s = %s;", o.Name, o.Value)
	}
	for _, m := range s.Methods {
		r.comment(m.Comment)
		in := r.typeName(m.Input.File, m.Input.Path())
		out := r.typeName(m.Output.File, m.Output.Path())
		if m.ClientStreaming {
			in = "stream " + in
		}
		if m.ServerStreaming {
			out = "stream " + out
		}
		if len(m.Options) == 0 {
			r.line("rpc %s(%s) returns (%s);", m.Name, in, out)
			continue
		}
		r.line("rpc %s(%s) returns (%s) {", m.Name, in, out)
		r.indent++
		for _, o := range m.Options {
			r.line("option %s = %s;", o.Name, o.Value)
		}
		r.indent--
		r.line("}")
	}
	r.indent--
	r.line("}")
}

// Imports lists, sorted, the files f must import: those declaring a type,
// extendee or custom option that f references.
func Imports(f *File) []string {
	set := map[string]bool{}
	add := func(g *File) {
		if g != nil && g != f {
			set[g.Path] = true
		}
	}
	opts := func(os []Option) {
		for _, o := range os {
			if strings.HasPrefix(o.Name, customPrefix) {
				set[optionsPath] = true
			}
		}
	}
	var field func(fd *Field)
	var msg func(m *Message)
	field = func(fd *Field) {
		if fd.Msg != nil {
			if fd.Group {
				msg(fd.Msg)
			} else {
				add(fd.Msg.File)
			}
		}
		if fd.Enum != nil {
			add(fd.Enum.File)
		}
		opts(fd.Options)
	}
	msg = func(m *Message) {
		if m.Gone {
			return
		}
		opts(m.Options)
		for _, fd := range m.Fields {
			field(fd)
		}
		for _, n := range m.Nested {
			if !n.Group {
				msg(n)
			}
		}
	}
	opts(f.Options)
	for _, m := range f.Messages {
		msg(m)
	}
	for _, s := range f.Services {
		opts(s.Options)
		for _, m := range s.Methods {
			add(m.Input.File)
			add(m.Output.File)
			opts(m.Options)
		}
	}
	for _, x := range f.Extends {
		if len(x.Fields) == 0 {
			continue
		}
		add(x.Extendee.File)
		for _, fd := range x.Fields {
			field(fd)
		}
	}
	if f.Path == optionsPath {
		delete(set, optionsPath)
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}
