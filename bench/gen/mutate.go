package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Change is one deliberate difference between previous and current.
type Change struct {
	Kind    string
	File    string
	Element string
	Rule    string // expected buf rule ID; empty for compatible changes
	Detail  string
}

// Breaking reports whether the FILE category must report the change.
func (c Change) Breaking() bool { return c.Rule != "" }

// mutation is one kind of change: how many of them a 5,200-file corpus gets
// and how to apply one. apply returns false when the random target it drew
// does not fit; it is then retried with another target.
type mutation struct {
	kind   string
	weight int
	apply  func(mu *mutator) (Change, bool)
}

// onlyIn restricts the files some kinds of mutation draw from, so that
// changes needing a rare kind of file (editions, proto2, services,
// extensions) find one quickly.
var onlyIn = map[string]func(f *File) bool{
	"file_syntax_proto3_to_editions": func(f *File) bool { return f.Syntax == Proto3 },
	"file_syntax_proto2_to_editions": func(f *File) bool { return f.Syntax == Proto2 },
	"field_default_change":           func(f *File) bool { return f.Syntax != Proto3 },
	// buf v1.75.0 does not see editions LEGACY_REQUIRED changes as
	// MESSAGE_SAME_REQUIRED_FIELDS: proto2 files only.
	"field_required_add":                 func(f *File) bool { return f.Syntax == Proto2 },
	"field_required_remove":              func(f *File) bool { return f.Syntax == Proto2 },
	"field_utf8_validation_change":       func(f *File) bool { return f.Syntax == Edition2023 },
	"field_presence_change":              func(f *File) bool { return f.Syntax == Edition2023 },
	"message_json_format_change":         func(f *File) bool { return f.Syntax == Edition2023 },
	"enum_open_closed_change":            func(f *File) bool { return f.Syntax == Edition2023 },
	"enum_json_format_change":            func(f *File) bool { return f.Syntax == Edition2023 },
	"extension_delete":                   func(f *File) bool { return len(f.Extends) > 0 },
	"extension_add":                      func(f *File) bool { return len(f.Extends) > 0 },
	"extension_range_delete":             func(f *File) bool { return f.Syntax != Proto3 },
	"service_delete":                     func(f *File) bool { return len(f.Services) > 0 },
	"rpc_delete":                         func(f *File) bool { return len(f.Services) > 0 },
	"rpc_request_type_change":            func(f *File) bool { return len(f.Services) > 0 },
	"rpc_response_type_change":           func(f *File) bool { return len(f.Services) > 0 },
	"rpc_client_streaming_change":        func(f *File) bool { return len(f.Services) > 0 },
	"rpc_server_streaming_change":        func(f *File) bool { return len(f.Services) > 0 },
	"rpc_idempotency_level_change":       func(f *File) bool { return len(f.Services) > 0 },
	"rpc_add":                            func(f *File) bool { return len(f.Services) > 0 },
	"service_add":                        func(f *File) bool { return len(f.Services) > 0 },
	"field_out_of_oneof":                 func(f *File) bool { return hasOneof(f) },
	"field_into_oneof":                   func(f *File) bool { return hasOneof(f) },
	"oneof_delete":                       func(f *File) bool { return hasOneof(f) },
	"file_option_java_string_check_utf8": func(f *File) bool { return f.Syntax == Proto2 },
}

func hasOneof(f *File) bool {
	for _, m := range messagesOf(f) {
		if len(m.Oneofs) > 0 {
			return true
		}
	}
	return false
}

// mutator applies changes to a corpus while keeping it compilable: it knows
// which types are referenced (a referenced type is never deleted), and locks
// what it touched so that every change stays separately visible.
type mutator struct {
	*builder
	files      []*File // the project files of previous, in order
	pool       []*File // the files the current mutation draws from
	refs       map[any]int
	fileRefs   map[*File]int
	enumSites  map[*Enum][]*Field
	defaults   map[*Enum]map[string]bool
	extended   map[*Message]int
	locked     map[any]bool
	fileLocked map[*File]bool
	touched    map[*File]bool
}

// Mutate applies the deliberate changes to c (the model of current) and
// returns them. The number of changes scales with the corpus size (about 325
// breaking and 250 compatible changes for 5,200 files), with at least one of
// each kind.
func Mutate(c *Corpus, seed uint64) []Change {
	mu := &mutator{
		builder: &builder{
			r: rand.New(rand.NewPCG(seed^0x5bd1e995, 0xc2b2ae3d27d4eb4f)),
			c: c,
		},
		refs: map[any]int{}, fileRefs: map[*File]int{}, enumSites: map[*Enum][]*Field{},
		defaults: map[*Enum]map[string]bool{}, extended: map[*Message]int{},
		locked: map[any]bool{}, fileLocked: map[*File]bool{}, touched: map[*File]bool{},
	}
	for _, f := range c.Files {
		if f != c.Options {
			mu.files = append(mu.files, f)
		}
	}
	mu.index()
	scale := float64(len(c.Files)) / 5200
	var out []Change
	for _, group := range [][]mutation{fileMutations, breakingMutations, compatibleMutations} {
		for _, m := range group {
			n := max(1, int(math.Round(float64(m.weight)*scale)))
			mu.pool = mu.files
			if only := onlyIn[m.kind]; only != nil {
				mu.pool = nil
				for _, f := range mu.files {
					if only(f) {
						mu.pool = append(mu.pool, f)
					}
				}
				if len(mu.pool) == 0 {
					continue
				}
			}
			for i, tries := 0, 0; i < n && tries < 400*n; tries++ {
				if ch, ok := m.apply(mu); ok {
					ch.Kind = m.kind
					out = append(out, ch)
					i++
				}
			}
		}
	}
	return out
}

// --- indexes and locks ------------------------------------------------------------

func (mu *mutator) index() {
	for _, f := range mu.c.Files {
		ref := func(target any, tf *File) {
			mu.refs[target]++
			if tf != f {
				mu.fileRefs[tf]++
			}
		}
		var field func(fd *Field)
		var msg func(m *Message)
		field = func(fd *Field) {
			if fd.Msg != nil {
				if fd.Group {
					msg(fd.Msg)
				} else {
					ref(fd.Msg, fd.Msg.File)
				}
			}
			if fd.Enum != nil {
				ref(fd.Enum, fd.Enum.File)
				mu.enumSites[fd.Enum] = append(mu.enumSites[fd.Enum], fd)
				if v, ok := option(fd.Options, "default"); ok {
					mu.useDefault(fd.Enum, v)
				}
			}
		}
		msg = func(m *Message) {
			for _, fd := range m.Fields {
				field(fd)
			}
			for _, n := range m.Nested {
				if !n.Group {
					msg(n)
				}
			}
		}
		for _, m := range f.Messages {
			msg(m)
		}
		for _, s := range f.Services {
			for _, m := range s.Methods {
				ref(m.Input, m.Input.File)
				ref(m.Output, m.Output.File)
			}
		}
		for _, x := range f.Extends {
			ref(x.Extendee, x.Extendee.File)
			mu.extended[x.Extendee]++
			for _, fd := range x.Fields {
				field(fd)
			}
		}
	}
}

func (mu *mutator) useDefault(e *Enum, v string) {
	if mu.defaults[e] == nil {
		mu.defaults[e] = map[string]bool{}
	}
	mu.defaults[e][v] = true
}

// addRef records a new reference from file f to a message.
func (mu *mutator) addRef(f *File, m *Message) {
	mu.refs[m]++
	if m.File != f {
		mu.fileRefs[m.File]++
	}
}

// outsideRefs counts the references to m, its nested messages and enums
// from outside m: when it is zero, m can be deleted or moved.
func (mu *mutator) outsideRefs(m *Message) int {
	var total func(x *Message) int
	total = func(x *Message) int {
		n := mu.refs[x] + mu.extended[x]
		for _, y := range x.Nested {
			n += total(y)
		}
		for _, e := range x.Enums {
			n += mu.refs[e]
		}
		return n
	}
	inside := map[any]bool{}
	var mark func(x *Message)
	mark = func(x *Message) {
		inside[x] = true
		for _, y := range x.Nested {
			mark(y)
		}
		for _, e := range x.Enums {
			inside[e] = true
		}
	}
	mark(m)
	self := 0
	var count func(x *Message)
	count = func(x *Message) {
		for _, fd := range x.Fields {
			if (fd.Msg != nil && !fd.Group && inside[fd.Msg]) || (fd.Enum != nil && inside[fd.Enum]) {
				self++
			}
		}
		for _, y := range x.Nested {
			count(y)
		}
	}
	count(m)
	return total(m) - self
}

// randFile draws a project file of previous still present and not locked.
func (mu *mutator) randFile() *File {
	f := pick(mu.builder, mu.pool)
	if f.Deleted || mu.fileLocked[f] {
		return nil
	}
	return f
}

// messagesOf lists the messages of f (nested included, group bodies excluded).
func messagesOf(f *File) []*Message {
	var out []*Message
	var walk func(ms []*Message)
	walk = func(ms []*Message) {
		for _, m := range ms {
			if m.Gone || m.Group {
				continue
			}
			out = append(out, m)
			walk(m.Nested)
		}
	}
	walk(f.Messages)
	return out
}

// enumsOf lists the enums of f (nested included).
func enumsOf(f *File) []*Enum {
	var out []*Enum
	for _, e := range f.Enums {
		if !e.Gone {
			out = append(out, e)
		}
	}
	for _, m := range messagesOf(f) {
		for _, e := range m.Enums {
			if !e.Gone {
				out = append(out, e)
			}
		}
	}
	return out
}

// randMessage draws a free message of a random file.
func (mu *mutator) randMessage() *Message {
	f := mu.randFile()
	if f == nil {
		return nil
	}
	ms := messagesOf(f)
	if len(ms) == 0 {
		return nil
	}
	m := pick(mu.builder, ms)
	if !mu.free(m) {
		return nil
	}
	return m
}

// randField draws a field of a free message that satisfies ok.
func (mu *mutator) randField(ok func(fd *Field) bool) *Field {
	m := mu.randMessage()
	if m == nil || len(m.Fields) == 0 {
		return nil
	}
	fd := pick(mu.builder, m.Fields)
	if fd.Group || !ok(fd) {
		return nil
	}
	return fd
}

// free reports whether a message may still be changed.
func (mu *mutator) free(m *Message) bool {
	t := m.Top()
	return !t.Gone && !mu.locked[t] && !mu.fileLocked[t.File]
}

// take locks the top-level message of m.
func (mu *mutator) take(m *Message) {
	mu.locked[m.Top()] = true
	mu.touched[m.File] = true
}

// enumFree reports whether an enum may still be changed, and takeEnum locks it.
func (mu *mutator) enumFree(e *Enum) bool {
	if e.Gone || mu.fileLocked[e.File] {
		return false
	}
	if e.Parent != nil {
		return mu.free(e.Parent)
	}
	return !mu.locked[e]
}

func (mu *mutator) takeEnum(e *Enum) {
	if e.Parent != nil {
		mu.take(e.Parent)
	} else {
		mu.locked[e] = true
	}
	mu.touched[e.File] = true
}

func (mu *mutator) randEnum() *Enum {
	f := mu.randFile()
	if f == nil {
		return nil
	}
	es := enumsOf(f)
	if len(es) == 0 {
		return nil
	}
	e := pick(mu.builder, es)
	if !mu.enumFree(e) {
		return nil
	}
	return e
}

// randService draws a free service.
func (mu *mutator) randService() (*File, *Service) {
	f := mu.randFile()
	if f == nil || len(f.Services) == 0 {
		return nil, nil
	}
	s := pick(mu.builder, f.Services)
	if mu.locked[s] || len(s.Methods) == 0 {
		return nil, nil
	}
	return f, s
}

func (mu *mutator) takeService(f *File, s *Service) {
	mu.locked[s] = true
	mu.touched[f] = true
}

// singularFor is the label a field gets when it becomes singular in f.
func singularFor(f *File, fd *Field) Label {
	switch {
	case f.Syntax == Proto2:
		return Explicit
	case fd.Msg != nil && f.Syntax == Proto3:
		return Implicit
	case fd.Msg != nil:
		return Explicit
	case fd.Enum != nil && fd.Enum.Closed():
		return Explicit
	case f.Syntax == Edition2023 && !f.ImplicitPresence:
		return Explicit
	}
	return Implicit
}

// plainField: a singular or repeated non-map, non-oneof, non-required field.
func plainField(fd *Field) bool {
	return fd.Oneof == nil && !fd.IsMap() && !fd.Group && fd.Label != Required
}

func hasOpt(fd *Field, names ...string) bool {
	for _, n := range names {
		if _, ok := option(fd.Options, n); ok {
			return true
		}
	}
	return false
}

func (mu *mutator) fieldChange(fd *Field, rule, detail string) Change {
	mu.take(fd.Parent)
	return Change{File: fd.Parent.File.Path, Element: fd.FullName(), Rule: rule, Detail: detail}
}

// newFieldName picks a new name for a field of m derived from base (a
// modifier prefix), registers it and returns it; "" when none is free.
func (mu *mutator) newFieldName(m *Message, base string) string {
	for _, i := range mu.r.Perm(len(fieldModifiers)) {
		n := fieldModifiers[i] + "_" + base
		if !m.names[n] && !m.names["json:"+jsonKey(n)] {
			m.names[n] = true
			m.names["json:"+jsonKey(n)] = true
			return n
		}
	}
	return ""
}

// --- whole-file changes -------------------------------------------------------------

var fileMutations = []mutation{
	{"file_delete", 6, func(mu *mutator) (Change, bool) {
		f := mu.randFile()
		if f == nil || mu.touched[f] || mu.fileRefs[f] > 0 {
			return Change{}, false
		}
		f.Deleted = true
		mu.fileLocked[f] = true
		return Change{File: f.Path, Element: f.Path, Rule: "FILE_NO_DELETE"}, true
	}},
	{"file_package_change", 3, func(mu *mutator) (Change, bool) {
		f := mu.randFile()
		if f == nil || mu.touched[f] || mu.fileRefs[f] > 0 || f.Syntax != Proto3 {
			return Change{}, false
		}
		old := f.Package
		i := strings.LastIndex(old, ".")
		f.Package = old[:i] + ".internal" + old[i:]
		mu.fileLocked[f] = true
		return Change{File: f.Path, Element: old, Rule: "FILE_SAME_PACKAGE", Detail: old + " -> " + f.Package}, true
	}},
	{"file_syntax_proto3_to_editions", 2, func(mu *mutator) (Change, bool) {
		f := mu.randFile()
		if f == nil || mu.touched[f] || f.Syntax != Proto3 || len(f.Messages) == 0 {
			return Change{}, false
		}
		f.Syntax, f.ImplicitPresence = Edition2023, true
		mu.fileLocked[f] = true
		return Change{File: f.Path, Element: f.Path, Rule: "FILE_SAME_SYNTAX", Detail: `proto3 -> edition 2023 (features.field_presence = IMPLICIT)`}, true
	}},
	{"file_syntax_proto2_to_editions", 2, func(mu *mutator) (Change, bool) {
		f := mu.randFile()
		if f == nil || mu.touched[f] || f.Syntax != Proto2 || len(f.Messages) == 0 {
			return Change{}, false
		}
		for _, m := range messagesOf(f) {
			for _, n := range m.Nested {
				if n.Group {
					return Change{}, false
				}
			}
		}
		f.Syntax, f.ClosedEnums, f.ExpandedRepeated, f.LegacyJSON = Edition2023, true, true, true
		f.Options = append(f.Options, Option{"features.utf8_validation", "NONE"})
		mu.fileLocked[f] = true
		return Change{File: f.Path, Element: f.Path, Rule: "FILE_SAME_SYNTAX", Detail: "proto2 -> edition 2023 with proto2-equivalent features"}, true
	}},
}

// --- breaking changes ---------------------------------------------------------------

// scalarSwap gives, for a scalar type, the type a careless edit changes it to.
var scalarSwap = map[string]string{
	"int32": "int64", "int64": "string", "uint32": "uint64", "uint64": "int64",
	"sint32": "int32", "sint64": "int64", "fixed32": "uint32", "fixed64": "uint64",
	"sfixed32": "int32", "sfixed64": "int64", "bool": "int32", "string": "bytes",
	"bytes": "string", "double": "float", "float": "double",
}

var breakingMutations = []mutation{
	{"field_delete", 28, func(mu *mutator) (Change, bool) {
		fd := mu.randField(plainField)
		if fd == nil {
			return Change{}, false
		}
		m := fd.Parent
		ch := mu.fieldChange(fd, "FIELD_NO_DELETE", fmt.Sprintf("field %d deleted", fd.Number))
		m.Fields = slices.DeleteFunc(m.Fields, func(x *Field) bool { return x == fd })
		return ch, true
	}},
	{"field_number_change", 6, func(mu *mutator) (Change, bool) {
		fd := mu.randField(plainField)
		if fd == nil || fd.Parent.maxNum >= 450 {
			return Change{}, false
		}
		m := fd.Parent
		old := fd.Number
		m.maxNum++
		fd.Number = m.maxNum
		return mu.fieldChange(fd, "FIELD_NO_DELETE", fmt.Sprintf("number %d -> %d", old, fd.Number)), true
	}},
	{"field_type_scalar", 16, func(mu *mutator) (Change, bool) {
		fd := mu.randField(func(fd *Field) bool {
			return fd.Scalar != "" && !fd.IsMap() && fd.Msg == nil && len(fd.Options) == 0
		})
		if fd == nil {
			return Change{}, false
		}
		old := fd.Scalar
		fd.Scalar = scalarSwap[old]
		return mu.fieldChange(fd, "FIELD_SAME_TYPE", old+" -> "+fd.Scalar), true
	}},
	{"field_type_message", 8, func(mu *mutator) (Change, bool) {
		fd := mu.randField(func(fd *Field) bool { return fd.Msg != nil && !fd.IsMap() })
		if fd == nil {
			return Change{}, false
		}
		var cands []*Message
		for _, m := range messagesOf(fd.Parent.File) {
			if m != fd.Msg && m != fd.Parent && !strings.HasSuffix(m.Name, "Request") {
				cands = append(cands, m)
			}
		}
		if fd.Msg.File.External {
			cands = append(cands, mu.c.wkt["Duration"], mu.c.wkt["Timestamp"], mu.c.wkt["Struct"])
		}
		cands = slices.DeleteFunc(cands, func(m *Message) bool { return m == fd.Msg })
		if len(cands) == 0 {
			return Change{}, false
		}
		to := pick(mu.builder, cands)
		for a := fd.Parent; a != nil; a = a.Parent {
			if a == to {
				return Change{}, false
			}
		}
		old := fd.Msg.FullName()
		fd.Msg = to
		mu.addRef(fd.Parent.File, to)
		return mu.fieldChange(fd, "FIELD_SAME_TYPE", old+" -> "+to.FullName()), true
	}},
	{"field_type_enum_to_int", 4, func(mu *mutator) (Change, bool) {
		fd := mu.randField(func(fd *Field) bool { return fd.Enum != nil && !fd.IsMap() && len(fd.Options) == 0 })
		if fd == nil {
			return Change{}, false
		}
		old := fd.Enum.FullName()
		fd.Enum, fd.Scalar = nil, "int32"
		return mu.fieldChange(fd, "FIELD_SAME_TYPE", old+" -> int32"), true
	}},
	{"field_cardinality_to_repeated", 8, func(mu *mutator) (Change, bool) {
		fd := mu.randField(func(fd *Field) bool {
			return plainField(fd) && fd.Label != Repeated && !hasOpt(fd, "default", "ctype", "features.field_presence")
		})
		if fd == nil {
			return Change{}, false
		}
		fd.Label = Repeated
		return mu.fieldChange(fd, "FIELD_SAME_CARDINALITY", "singular -> repeated"), true
	}},
	{"field_cardinality_to_singular", 5, func(mu *mutator) (Change, bool) {
		fd := mu.randField(func(fd *Field) bool {
			return plainField(fd) && fd.Label == Repeated && !hasOpt(fd, "features.repeated_field_encoding")
		})
		if fd == nil {
			return Change{}, false
		}
		fd.Label = singularFor(fd.Parent.File, fd)
		return mu.fieldChange(fd, "FIELD_SAME_CARDINALITY", "repeated -> singular"), true
	}},
	{"field_rename", 14, func(mu *mutator) (Change, bool) {
		fd := mu.randField(func(fd *Field) bool { return !hasOpt(fd, "json_name") && !fd.Group })
		if fd == nil {
			return Change{}, false
		}
		n := mu.newFieldName(fd.Parent, fd.Name)
		if n == "" {
			return Change{}, false
		}
		ch := mu.fieldChange(fd, "FIELD_SAME_NAME", fd.Name+" -> "+n)
		fd.Name = n
		return ch, true
	}},
	{"field_json_name_change", 8, func(mu *mutator) (Change, bool) {
		fd := mu.randField(func(fd *Field) bool { return strings.Contains(fd.Name, "_") && !fd.IsMap() })
		if fd == nil {
			return Change{}, false
		}
		if _, ok := option(fd.Options, "json_name"); ok {
			fd.Options = removeOption(fd.Options, "json_name")
			return mu.fieldChange(fd, "FIELD_SAME_JSON_NAME", "json_name removed"), true
		}
		fd.Options = append(fd.Options, Option{"json_name", fmt.Sprintf("%q", fd.Name)})
		return mu.fieldChange(fd, "FIELD_SAME_JSON_NAME", `json_name = "`+fd.Name+`" added`), true
	}},
	{"field_into_oneof", 5, func(mu *mutator) (Change, bool) {
		fd := mu.randField(func(fd *Field) bool {
			return plainField(fd) && fd.Label != Repeated && len(fd.Parent.Oneofs) > 0 && !hasOpt(fd, "default")
		})
		if fd == nil {
			return Change{}, false
		}
		fd.Oneof, fd.Label = fd.Parent.Oneofs[0], Implicit
		return mu.fieldChange(fd, "FIELD_SAME_ONEOF", "moved into oneof "+fd.Oneof.Name), true
	}},
	{"field_out_of_oneof", 5, func(mu *mutator) (Change, bool) {
		fd := mu.randField(func(fd *Field) bool { return fd.Oneof != nil })
		if fd == nil {
			return Change{}, false
		}
		n := 0
		for _, x := range fd.Parent.Fields {
			if x.Oneof == fd.Oneof {
				n++
			}
		}
		if n < 2 {
			return Change{}, false
		}
		old := fd.Oneof.Name
		fd.Oneof = nil
		fd.Label = singularFor(fd.Parent.File, fd)
		return mu.fieldChange(fd, "FIELD_SAME_ONEOF", "moved out of oneof "+old), true
	}},
	{"field_default_change", 6, func(mu *mutator) (Change, bool) {
		fd := mu.randField(func(fd *Field) bool { return hasOpt(fd, "default") })
		if fd == nil {
			return Change{}, false
		}
		old, _ := option(fd.Options, "default")
		var nv string
		switch {
		case fd.Enum != nil:
			for _, v := range fd.Enum.Values {
				if v.Name != old {
					nv = v.Name
				}
			}
			if nv == "" {
				return Change{}, false
			}
			mu.useDefault(fd.Enum, nv)
		case fd.Scalar == "string" || fd.Scalar == "bytes":
			nv = `"changed"`
		case fd.Scalar == "bool":
			nv = map[string]string{"true": "false", "false": "true"}[old]
		case fd.Scalar == "double" || fd.Scalar == "float":
			nv = "2.25"
		default:
			nv = "7"
		}
		if nv == old {
			nv = "8"
		}
		fd.Options = setOption(fd.Options, "default", nv)
		return mu.fieldChange(fd, "FIELD_SAME_DEFAULT", old+" -> "+nv), true
	}},
	{"field_required_add", 3, func(mu *mutator) (Change, bool) {
		fd := mu.randField(func(fd *Field) bool {
			return fd.Parent.File.Syntax == Proto2 && plainField(fd) && fd.Label == Explicit
		})
		if fd == nil {
			return Change{}, false
		}
		fd.Label = Required
		return mu.fieldChange(fd, "MESSAGE_SAME_REQUIRED_FIELDS", "optional -> required"), true
	}},
	{"field_required_remove", 3, func(mu *mutator) (Change, bool) {
		fd := mu.randField(func(fd *Field) bool {
			return fd.Parent.File.Syntax == Proto2 && fd.Label == Required && fd.Oneof == nil
		})
		if fd == nil {
			return Change{}, false
		}
		fd.Label = Explicit
		return mu.fieldChange(fd, "MESSAGE_SAME_REQUIRED_FIELDS", "required -> optional"), true
	}},
	{"field_jstype_change", 4, func(mu *mutator) (Change, bool) {
		fd := mu.randField(func(fd *Field) bool {
			switch fd.Scalar {
			case "int64", "uint64", "sint64", "fixed64", "sfixed64":
				return !fd.IsMap()
			}
			return false
		})
		if fd == nil {
			return Change{}, false
		}
		old, ok := option(fd.Options, "jstype")
		nv := "JS_STRING"
		if ok && old == "JS_STRING" {
			nv = "JS_NUMBER"
		}
		fd.Options = setOption(fd.Options, "jstype", nv)
		return mu.fieldChange(fd, "FIELD_SAME_JSTYPE", "jstype = "+nv), true
	}},
	{"field_ctype_change", 4, func(mu *mutator) (Change, bool) {
		fd := mu.randField(func(fd *Field) bool {
			return (fd.Scalar == "string" || fd.Scalar == "bytes") && !fd.IsMap() && fd.Label != Repeated &&
				fd.Parent.File.Syntax != Edition2023
		})
		if fd == nil {
			return Change{}, false
		}
		old, ok := option(fd.Options, "ctype")
		nv := "CORD"
		if ok && old == "CORD" {
			nv = "STRING_PIECE"
		}
		fd.Options = setOption(fd.Options, "ctype", nv)
		return mu.fieldChange(fd, "FIELD_SAME_CPP_STRING_TYPE", "ctype = "+nv), true
	}},
	{"field_utf8_validation_change", 3, func(mu *mutator) (Change, bool) {
		fd := mu.randField(func(fd *Field) bool {
			return fd.Parent.File.Syntax == Edition2023 && fd.Scalar == "string" && !fd.IsMap() && !hasOpt(fd, "features.utf8_validation")
		})
		if fd == nil {
			return Change{}, false
		}
		fd.Options = append(fd.Options, Option{"features.utf8_validation", "NONE"})
		return mu.fieldChange(fd, "FIELD_SAME_UTF8_VALIDATION", "features.utf8_validation = NONE"), true
	}},
	{"field_presence_change", 3, func(mu *mutator) (Change, bool) {
		fd := mu.randField(func(fd *Field) bool {
			return fd.Parent.File.Syntax == Edition2023 && plainField(fd) && fd.Label != Repeated &&
				fd.Scalar != "" && !hasOpt(fd, "default")
		})
		if fd == nil {
			return Change{}, false
		}
		if fd.Label == Implicit {
			fd.Label = Explicit
		} else {
			fd.Label = Implicit
		}
		return mu.fieldChange(fd, "FIELD_SAME_CARDINALITY", "editions field_presence flipped"), true
	}},
	{"field_proto3_optional_change", 5, func(mu *mutator) (Change, bool) {
		fd := mu.randField(func(fd *Field) bool {
			return fd.Parent.File.Syntax == Proto3 && plainField(fd) && fd.Label != Repeated && fd.Msg == nil
		})
		if fd == nil {
			return Change{}, false
		}
		detail := "optional keyword added"
		if fd.Label == Explicit {
			fd.Label, detail = Implicit, "optional keyword removed"
		} else {
			fd.Label = Explicit
		}
		return mu.fieldChange(fd, "FIELD_SAME_CARDINALITY", detail), true
	}},
	{"message_delete", 18, func(mu *mutator) (Change, bool) {
		m := mu.randMessage()
		if m == nil || mu.outsideRefs(m) > 0 {
			return Change{}, false
		}
		mu.take(m)
		m.Gone = true
		return Change{File: m.File.Path, Element: m.FullName(), Rule: "MESSAGE_NO_DELETE"}, true
	}},
	{"message_rename", 5, func(mu *mutator) (Change, bool) {
		m := mu.randMessage()
		if m == nil || m.Parent != nil || mu.outsideRefs(m) > 0 {
			return Change{}, false
		}
		nn := m.Name + pick(mu.builder, []string{"Record", "Info", "Data", "Details", "Entry"})
		if mu.taken(m.File.Package, nn) {
			return Change{}, false
		}
		mu.claim(m.File.Package, nn)
		mu.take(m)
		ch := Change{File: m.File.Path, Element: m.FullName(), Rule: "MESSAGE_NO_DELETE", Detail: "renamed to " + nn}
		m.Name = nn
		return ch, true
	}},
	{"message_move_to_new_file", 6, func(mu *mutator) (Change, bool) {
		m := mu.randMessage()
		if m == nil || m.Parent != nil || mu.outsideRefs(m) > 0 || len(m.File.Messages) < 2 {
			return Change{}, false
		}
		old := m.File
		dir := old.Path[:strings.LastIndex(old.Path, "/")]
		path := dir + "/" + snake(m.Name) + "_split.proto"
		nf := &File{Path: path, Package: old.Package, Syntax: old.Syntax, Domain: old.Domain,
			Header: old.Header, Options: slices.Clone(old.Options), ImplicitPresence: old.ImplicitPresence,
			ClosedEnums: old.ClosedEnums, ExpandedRepeated: old.ExpandedRepeated, LegacyJSON: old.LegacyJSON}
		nf.Options = removeOption(nf.Options, "java_outer_classname")
		old.Messages = slices.DeleteFunc(old.Messages, func(x *Message) bool { return x == m })
		var move func(x *Message)
		move = func(x *Message) {
			x.File = nf
			for _, e := range x.Enums {
				e.File = nf
			}
			for _, n := range x.Nested {
				move(n)
			}
		}
		move(m)
		nf.Messages = []*Message{m}
		nf.Index = len(mu.c.Files)
		mu.c.Files = append(mu.c.Files, nf)
		mu.fileLocked[nf] = true
		mu.take(m)
		mu.touched[old] = true
		return Change{File: old.Path, Element: m.FullName(), Rule: "MESSAGE_NO_DELETE", Detail: "moved to " + path}, true
	}},
	{"message_json_format_change", 2, func(mu *mutator) (Change, bool) {
		m := mu.randMessage()
		if m == nil || m.File.Syntax != Edition2023 || m.File.LegacyJSON {
			return Change{}, false
		}
		mu.take(m)
		m.Options = append(m.Options, Option{"features.json_format", "LEGACY_BEST_EFFORT"})
		return Change{File: m.File.Path, Element: m.FullName(), Rule: "MESSAGE_SAME_JSON_FORMAT", Detail: "features.json_format = LEGACY_BEST_EFFORT"}, true
	}},
	{"message_no_standard_descriptor_accessor", 2, func(mu *mutator) (Change, bool) {
		m := mu.randMessage()
		if m == nil {
			return Change{}, false
		}
		mu.take(m)
		m.Options = append(m.Options, Option{"no_standard_descriptor_accessor", "true"})
		return Change{File: m.File.Path, Element: m.FullName(), Rule: "MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR"}, true
	}},
	{"enum_delete", 8, func(mu *mutator) (Change, bool) {
		e := mu.randEnum()
		if e == nil || mu.refs[e] > 0 {
			return Change{}, false
		}
		mu.takeEnum(e)
		e.Gone = true
		return Change{File: e.File.Path, Element: e.FullName(), Rule: "ENUM_NO_DELETE"}, true
	}},
	{"enum_value_delete", 14, func(mu *mutator) (Change, bool) {
		e := mu.randEnum()
		if e == nil || len(e.Values) < 3 {
			return Change{}, false
		}
		i := 1 + mu.intn(len(e.Values)-1)
		v := e.Values[i]
		if mu.defaults[e][v.Name] {
			return Change{}, false
		}
		mu.takeEnum(e)
		e.Values = slices.Delete(e.Values, i, i+1)
		return Change{File: e.File.Path, Element: qualify(e.FullName(), v.Name), Rule: "ENUM_VALUE_NO_DELETE", Detail: fmt.Sprintf("value %d deleted", v.Number)}, true
	}},
	{"enum_value_rename", 12, func(mu *mutator) (Change, bool) {
		e := mu.randEnum()
		if e == nil || len(e.Values) < 2 {
			return Change{}, false
		}
		v := e.Values[1+mu.intn(len(e.Values)-1)]
		if mu.defaults[e][v.Name] {
			return Change{}, false
		}
		nn := e.Prefix() + pick(mu.builder, enumWords)
		for _, x := range e.Values {
			if x.Name == nn {
				return Change{}, false
			}
		}
		if slices.Contains(e.ReservedNames, nn) {
			return Change{}, false
		}
		mu.takeEnum(e)
		ch := Change{File: e.File.Path, Element: qualify(e.FullName(), v.Name), Rule: "ENUM_VALUE_SAME_NAME", Detail: "renamed to " + nn}
		v.Name = nn
		return ch, true
	}},
	{"enum_value_number_change", 4, func(mu *mutator) (Change, bool) {
		e := mu.randEnum()
		if e == nil || len(e.Values) < 2 {
			return Change{}, false
		}
		v := e.Values[1+mu.intn(len(e.Values)-1)]
		mu.takeEnum(e)
		old := v.Number
		v.Number = nextEnumNumber(e)
		return Change{File: e.File.Path, Element: qualify(e.FullName(), v.Name), Rule: "ENUM_VALUE_NO_DELETE", Detail: fmt.Sprintf("number %d -> %d", old, v.Number)}, true
	}},
	{"enum_reserved_delete", 4, func(mu *mutator) (Change, bool) {
		e := mu.randEnum()
		if e == nil || len(e.Reserved)+len(e.ReservedNames) == 0 {
			return Change{}, false
		}
		mu.takeEnum(e)
		detail := ""
		if len(e.ReservedNames) > 0 && mu.chance(0.4) {
			detail = "reserved name " + e.ReservedNames[0] + " removed"
			e.ReservedNames = e.ReservedNames[1:]
		} else if len(e.Reserved) > 0 {
			detail = "reserved range " + ranges(e.Reserved[:1]) + " removed"
			e.Reserved = e.Reserved[1:]
		} else {
			detail = "reserved name " + e.ReservedNames[0] + " removed"
			e.ReservedNames = e.ReservedNames[1:]
		}
		return Change{File: e.File.Path, Element: e.FullName(), Rule: "RESERVED_ENUM_NO_DELETE", Detail: detail}, true
	}},
	{"enum_open_closed_change", 4, func(mu *mutator) (Change, bool) {
		e := mu.randEnum()
		if e == nil || e.File.Syntax != Edition2023 {
			return Change{}, false
		}
		to := "OPEN"
		if !e.Closed() {
			to = "CLOSED"
			for _, fd := range mu.enumSites[e] {
				f := fd.Parent
				if f == nil || f.File.Syntax == Proto3 || (fd.Label == Implicit && fd.Oneof == nil) || fd.IsMap() {
					return Change{}, false
				}
			}
		}
		mu.takeEnum(e)
		e.Options = setOption(e.Options, "features.enum_type", to)
		return Change{File: e.File.Path, Element: e.FullName(), Rule: "ENUM_SAME_TYPE", Detail: "features.enum_type = " + to}, true
	}},
	{"enum_json_format_change", 2, func(mu *mutator) (Change, bool) {
		e := mu.randEnum()
		if e == nil || e.File.Syntax != Edition2023 || e.File.LegacyJSON {
			return Change{}, false
		}
		mu.takeEnum(e)
		e.Options = append(e.Options, Option{"features.json_format", "LEGACY_BEST_EFFORT"})
		return Change{File: e.File.Path, Element: e.FullName(), Rule: "ENUM_SAME_JSON_FORMAT", Detail: "features.json_format = LEGACY_BEST_EFFORT"}, true
	}},
	{"oneof_delete", 6, func(mu *mutator) (Change, bool) {
		m := mu.randMessage()
		if m == nil || len(m.Oneofs) == 0 {
			return Change{}, false
		}
		oo := m.Oneofs[0]
		mu.take(m)
		m.Oneofs = m.Oneofs[1:]
		m.Fields = slices.DeleteFunc(m.Fields, func(x *Field) bool { return x.Oneof == oo })
		return Change{File: m.File.Path, Element: qualify(m.FullName(), oo.Name), Rule: "ONEOF_NO_DELETE", Detail: "oneof and its fields deleted"}, true
	}},
	{"reserved_delete", 8, func(mu *mutator) (Change, bool) {
		m := mu.randMessage()
		if m == nil || len(m.Reserved)+len(m.ReservedNames) == 0 {
			return Change{}, false
		}
		mu.take(m)
		var detail string
		if len(m.Reserved) > 0 {
			detail = "reserved range " + ranges(m.Reserved[len(m.Reserved)-1:]) + " removed"
			m.Reserved = m.Reserved[:len(m.Reserved)-1]
		} else {
			detail = "reserved name " + m.ReservedNames[0] + " removed"
			m.ReservedNames = m.ReservedNames[1:]
		}
		return Change{File: m.File.Path, Element: m.FullName(), Rule: "RESERVED_MESSAGE_NO_DELETE", Detail: detail}, true
	}},
	{"extension_delete", 4, func(mu *mutator) (Change, bool) {
		f := mu.randFile()
		if f == nil || len(f.Extends) == 0 {
			return Change{}, false
		}
		x := pick(mu.builder, f.Extends)
		if len(x.Fields) == 0 || mu.locked[x] {
			return Change{}, false
		}
		fd := x.Fields[0]
		x.Fields = x.Fields[1:]
		mu.locked[x] = true
		mu.touched[f] = true
		return Change{File: f.Path, Element: qualify(f.Package, fd.Name), Rule: "EXTENSION_NO_DELETE", Detail: "extends " + x.Extendee.FullName()}, true
	}},
	{"extension_range_delete", 3, func(mu *mutator) (Change, bool) {
		m := mu.randMessage()
		if m == nil || len(m.ExtRanges) == 0 || mu.extended[m] > 0 {
			return Change{}, false
		}
		mu.take(m)
		detail := "extensions " + ranges(m.ExtRanges) + " removed"
		m.ExtRanges = nil
		return Change{File: m.File.Path, Element: m.FullName(), Rule: "EXTENSION_MESSAGE_NO_DELETE", Detail: detail}, true
	}},
	{"service_delete", 4, func(mu *mutator) (Change, bool) {
		f, s := mu.randService()
		if s == nil {
			return Change{}, false
		}
		mu.takeService(f, s)
		f.Services = slices.DeleteFunc(f.Services, func(x *Service) bool { return x == s })
		return Change{File: f.Path, Element: qualify(f.Package, s.Name), Rule: "SERVICE_NO_DELETE"}, true
	}},
	{"rpc_delete", 10, func(mu *mutator) (Change, bool) {
		f, s := mu.randService()
		if s == nil || len(s.Methods) < 2 {
			return Change{}, false
		}
		i := mu.intn(len(s.Methods))
		m := s.Methods[i]
		mu.takeService(f, s)
		s.Methods = slices.Delete(s.Methods, i, i+1)
		return Change{File: f.Path, Element: qualify(f.Package, s.Name+"."+m.Name), Rule: "RPC_NO_DELETE"}, true
	}},
	{"rpc_request_type_change", 5, func(mu *mutator) (Change, bool) {
		f, s := mu.randService()
		if s == nil {
			return Change{}, false
		}
		m := pick(mu.builder, s.Methods)
		var cands []*Message
		for _, x := range f.Messages {
			if !x.Gone && x != m.Input && strings.HasSuffix(x.Name, "Request") {
				cands = append(cands, x)
			}
		}
		if len(cands) == 0 {
			return Change{}, false
		}
		mu.takeService(f, s)
		old := m.Input.FullName()
		m.Input = pick(mu.builder, cands)
		mu.addRef(f, m.Input)
		return Change{File: f.Path, Element: qualify(f.Package, s.Name+"."+m.Name), Rule: "RPC_SAME_REQUEST_TYPE", Detail: old + " -> " + m.Input.FullName()}, true
	}},
	{"rpc_response_type_change", 5, func(mu *mutator) (Change, bool) {
		f, s := mu.randService()
		if s == nil {
			return Change{}, false
		}
		m := pick(mu.builder, s.Methods)
		to := mu.c.wkt["Empty"]
		if m.Output == to {
			for _, x := range f.Messages {
				if !x.Gone && strings.HasSuffix(x.Name, "Response") {
					to = x
				}
			}
		}
		if m.Output == to {
			return Change{}, false
		}
		mu.takeService(f, s)
		old := m.Output.FullName()
		m.Output = to
		mu.addRef(f, to)
		return Change{File: f.Path, Element: qualify(f.Package, s.Name+"."+m.Name), Rule: "RPC_SAME_RESPONSE_TYPE", Detail: old + " -> " + to.FullName()}, true
	}},
	{"rpc_client_streaming_change", 3, func(mu *mutator) (Change, bool) {
		f, s := mu.randService()
		if s == nil {
			return Change{}, false
		}
		m := pick(mu.builder, s.Methods)
		mu.takeService(f, s)
		m.ClientStreaming = !m.ClientStreaming
		return Change{File: f.Path, Element: qualify(f.Package, s.Name+"."+m.Name), Rule: "RPC_SAME_CLIENT_STREAMING", Detail: fmt.Sprintf("client streaming = %v", m.ClientStreaming)}, true
	}},
	{"rpc_server_streaming_change", 3, func(mu *mutator) (Change, bool) {
		f, s := mu.randService()
		if s == nil {
			return Change{}, false
		}
		m := pick(mu.builder, s.Methods)
		mu.takeService(f, s)
		m.ServerStreaming = !m.ServerStreaming
		return Change{File: f.Path, Element: qualify(f.Package, s.Name+"."+m.Name), Rule: "RPC_SAME_SERVER_STREAMING", Detail: fmt.Sprintf("server streaming = %v", m.ServerStreaming)}, true
	}},
	{"rpc_idempotency_level_change", 4, func(mu *mutator) (Change, bool) {
		f, s := mu.randService()
		if s == nil {
			return Change{}, false
		}
		m := pick(mu.builder, s.Methods)
		mu.takeService(f, s)
		old, ok := option(m.Options, "idempotency_level")
		nv := "IDEMPOTENT"
		if ok && old == "IDEMPOTENT" {
			nv = "NO_SIDE_EFFECTS"
		}
		m.Options = setOption(m.Options, "idempotency_level", nv)
		if !ok {
			old = "unset"
		}
		return Change{File: f.Path, Element: qualify(f.Package, s.Name+"."+m.Name), Rule: "RPC_SAME_IDEMPOTENCY_LEVEL", Detail: old + " -> " + nv}, true
	}},
	fileOption("go_package", "FILE_SAME_GO_PACKAGE", 6, func(v string) string {
		if v == "" {
			return `"github.com/acme/genproto/unsorted"`
		}
		return strings.Replace(v, "github.com/acme/apis/gen/go", "github.com/acme/genproto", 1)
	}),
	fileOption("java_package", "FILE_SAME_JAVA_PACKAGE", 3, func(v string) string {
		if v == "" {
			return `"com.acme.api"`
		}
		return strings.Replace(v, `"com.acme.`, `"com.acme.api.`, 1)
	}),
	fileOption("java_multiple_files", "FILE_SAME_JAVA_MULTIPLE_FILES", 3, flipBool("true")),
	fileOption("java_outer_classname", "FILE_SAME_JAVA_OUTER_CLASSNAME", 3, func(v string) string {
		if v == "" {
			return `"OuterClass"`
		}
		return strings.TrimSuffix(v, `"`) + `s"`
	}),
	fileOption("csharp_namespace", "FILE_SAME_CSHARP_NAMESPACE", 3, func(v string) string {
		if v == "" {
			return `"Acme.Apis"`
		}
		return strings.Replace(v, `"Acme.`, `"Acme.Apis.`, 1)
	}),
	fileOption("objc_class_prefix", "FILE_SAME_OBJC_CLASS_PREFIX", 3, func(v string) string {
		if v == `"ACM"` {
			return `"ACX"`
		}
		return `"ACM"`
	}),
	fileOption("php_namespace", "FILE_SAME_PHP_NAMESPACE", 2, func(v string) string {
		if v == "" {
			return `"Acme\\Apis"`
		}
		return strings.Replace(v, `"Acme\\`, `"Acme\\Apis\\`, 1)
	}),
	fileOption("php_metadata_namespace", "FILE_SAME_PHP_METADATA_NAMESPACE", 1, func(v string) string {
		if v == "" {
			return `"Acme\\GPBMetadata"`
		}
		return `"Acme\\Apis\\GPBMetadata"`
	}),
	fileOption("php_class_prefix", "FILE_SAME_PHP_CLASS_PREFIX", 1, func(v string) string {
		if v == `"Acme"` {
			return `"AcmeApi"`
		}
		return `"Acme"`
	}),
	fileOption("ruby_package", "FILE_SAME_RUBY_PACKAGE", 2, func(v string) string {
		if v == "" {
			return `"Acme::Apis"`
		}
		return strings.Replace(v, `"Acme::`, `"Acme::Apis::`, 1)
	}),
	fileOption("swift_prefix", "FILE_SAME_SWIFT_PREFIX", 2, func(v string) string {
		if v == `"ACM"` {
			return `"ACX"`
		}
		return `"ACM"`
	}),
	fileOption("optimize_for", "FILE_SAME_OPTIMIZE_FOR", 2, func(v string) string {
		if v == "CODE_SIZE" {
			return "SPEED"
		}
		return "CODE_SIZE"
	}),
	fileOption("cc_enable_arenas", "FILE_SAME_CC_ENABLE_ARENAS", 2, flipBool("false")),
	fileOption("cc_generic_services", "FILE_SAME_CC_GENERIC_SERVICES", 1, flipBool("true")),
	fileOption("java_generic_services", "FILE_SAME_JAVA_GENERIC_SERVICES", 1, flipBool("true")),
	fileOption("py_generic_services", "FILE_SAME_PY_GENERIC_SERVICES", 1, flipBool("true")),
	{"file_option_java_string_check_utf8", 2, func(mu *mutator) (Change, bool) {
		f := mu.randFile()
		// proto3 strings are always checked in Java: only proto2 files change.
		if f == nil || f.Syntax != Proto2 || mu.locked[fileOptKey{f}] {
			return Change{}, false
		}
		if _, ok := option(f.Options, "java_string_check_utf8"); ok {
			return Change{}, false
		}
		hasString := false
		for _, m := range messagesOf(f) {
			for _, fd := range m.Fields {
				hasString = hasString || (fd.Scalar == "string" && fd.MapKey == "")
			}
		}
		if !hasString {
			return Change{}, false
		}
		mu.locked[fileOptKey{f}] = true
		mu.touched[f] = true
		f.Options = append(f.Options, Option{"java_string_check_utf8", "true"})
		return Change{File: f.Path, Element: "option java_string_check_utf8", Rule: "FIELD_SAME_JAVA_UTF8_VALIDATION", Detail: "unset -> true"}, true
	}},
}

// fileOptKey locks the options of one file.
type fileOptKey struct{ f *File }

// flipBool returns a change function for a bool option: unset becomes
// ifUnset, a set value is flipped.
func flipBool(ifUnset string) func(string) string {
	return func(v string) string {
		switch v {
		case "":
			return ifUnset
		case "true":
			return "false"
		}
		return "true"
	}
}

// fileOption is the mutation that changes (or sets) one file option.
func fileOption(name, rule string, weight int, change func(old string) string) mutation {
	return mutation{"file_option_" + name, weight, func(mu *mutator) (Change, bool) {
		f := mu.randFile()
		if f == nil || mu.locked[fileOptKey{f}] {
			return Change{}, false
		}
		old, _ := option(f.Options, name)
		nv := change(old)
		if nv == old {
			return Change{}, false
		}
		mu.locked[fileOptKey{f}] = true
		mu.touched[f] = true
		f.Options = setOption(f.Options, name, nv)
		if old == "" {
			old = "unset"
		}
		return Change{File: f.Path, Element: "option " + name, Rule: rule, Detail: old + " -> " + nv}, true
	}}
}

// nextEnumNumber is a number not used or reserved in e.
func nextEnumNumber(e *Enum) int {
	n := 0
	for _, v := range e.Values {
		n = max(n, v.Number)
	}
	for _, r := range e.Reserved {
		n = max(n, r.End)
	}
	return n + 1
}
