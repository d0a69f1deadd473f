package policies

import (
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/pbregistry/pbregistry/image"
)

// builder turns descriptors of one image into the model policies see. It
// builds options and comments only when some expression reads them, and
// remembers message depths.
type builder struct {
	options, comments bool
	// extensions resolves the image's custom options.
	extensions *protoregistry.Types
	img        *image.Image
	depth      map[protoreflect.FullName]int64
}

func newBuilder(img *image.Image, options, comments bool) *builder {
	b := &builder{options: options, comments: comments, img: img}
	if options {
		b.extensions = new(protoregistry.Types)
		for _, f := range img.Files() {
			b.registerExtensions(f.Descriptor.Extensions())
			b.registerNested(f.Descriptor.Messages())
		}
	}
	return b
}

func (b *builder) registerNested(msgs protoreflect.MessageDescriptors) {
	for i := 0; i < msgs.Len(); i++ {
		b.registerExtensions(msgs.Get(i).Extensions())
		b.registerNested(msgs.Get(i).Messages())
	}
}

// registerExtensions registers the extensions of option messages.
func (b *builder) registerExtensions(exts protoreflect.ExtensionDescriptors) {
	for i := 0; i < exts.Len(); i++ {
		xd := exts.Get(i)
		if wellKnown(xd.ContainingMessage()) {
			_ = b.extensions.RegisterExtension(dynamicpb.NewExtensionType(xd))
		}
	}
}

// optionsOf returns the options set on an element, by name: standard
// options by field name, custom options by full name.
func (b *builder) optionsOf(d protoreflect.Descriptor) map[string]any {
	if !b.options {
		return nil
	}
	m := d.Options()
	if m == nil {
		return nil
	}
	rm := m.ProtoReflect()
	if !rm.IsValid() {
		return nil
	}
	if len(rm.GetUnknown()) > 0 {
		if data, err := proto.Marshal(m); err == nil {
			fresh := rm.New()
			opts := proto.UnmarshalOptions{Resolver: b.extensions, AllowPartial: true}
			if opts.Unmarshal(data, fresh.Interface()) == nil {
				rm = fresh
			}
		}
	}
	return fieldsOf(rm)
}

// fieldsOf returns the fields set in m by name (extensions by full name),
// their values as CEL reads them.
func fieldsOf(m protoreflect.Message) map[string]any {
	out := make(map[string]any)
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		key := string(fd.Name())
		if fd.IsExtension() {
			key = string(fd.FullName())
		}
		out[key] = value(fd, v)
		return true
	})
	return out
}

// value converts a protobuf value to what CEL reads: int64, uint64,
// float64, bool, string, []byte, enum names, maps and lists.
func value(fd protoreflect.FieldDescriptor, v protoreflect.Value) any {
	switch {
	case fd.IsList():
		l := v.List()
		out := make([]any, l.Len())
		for i := range out {
			out[i] = scalar(fd, l.Get(i))
		}
		return out
	case fd.IsMap():
		out := make(map[string]any)
		v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
			out[k.String()] = scalar(fd.MapValue(), mv)
			return true
		})
		return out
	}
	return scalar(fd, v)
}

func scalar(fd protoreflect.FieldDescriptor, v protoreflect.Value) any {
	switch fd.Kind() {
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
		return int64(v.Enum())
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return fieldsOf(v.Message())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return v.Int()
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return v.Uint()
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return v.Float()
	}
	return v.Interface()
}

// commentsOf returns the leading comments of d, trimmed.
func (b *builder) commentsOf(d protoreflect.Descriptor) string {
	if !b.comments {
		return ""
	}
	return strings.TrimSpace(d.ParentFile().SourceLocations().ByDescriptor(d).LeadingComments)
}

func deprecated(d protoreflect.Descriptor) bool {
	type deprecatable interface{ GetDeprecated() bool }
	o, ok := d.Options().(deprecatable)
	return ok && o.GetDeprecated()
}

func syntaxOf(fd protoreflect.FileDescriptor) (syntax, edition string) {
	switch fd.Syntax() {
	case protoreflect.Proto3:
		return "proto3", ""
	case protoreflect.Editions:
		if e, ok := fd.(interface{ Edition() int32 }); ok {
			return "editions", strings.TrimPrefix(descriptorpb.Edition(e.Edition()).String(), "EDITION_")
		}
		return "editions", ""
	}
	return "proto2", ""
}

func (b *builder) file(fd protoreflect.FileDescriptor) *File {
	f := &File{Path: fd.Path(), Package: string(fd.Package()), Options: b.optionsOf(fd)}
	f.Syntax, f.Edition = syntaxOf(fd)
	for i := 0; i < fd.Imports().Len(); i++ {
		f.Imports = append(f.Imports, fd.Imports().Get(i).Path())
	}
	if b.comments {
		f.Comments = strings.TrimSpace(fd.SourceLocations().ByPath(protoreflect.SourcePath{2}).LeadingComments)
	}
	return f
}

func (b *builder) message(md protoreflect.MessageDescriptor) *Message {
	m := &Message{
		Name: string(md.Name()), FullName: string(md.FullName()), Package: string(md.ParentFile().Package()),
		File: md.ParentFile().Path(), IsMapEntry: md.IsMapEntry(), Deprecated: deprecated(md),
		Depth: b.depthOf(md), Options: b.optionsOf(md), Comments: b.commentsOf(md),
	}
	for p := md.Parent(); p != nil; p = p.Parent() {
		if _, ok := p.(protoreflect.MessageDescriptor); ok {
			m.NestingLevel++
		}
	}
	m.Nested = m.NestingLevel > 0
	fields := md.Fields()
	m.Fields = make([]*Field, fields.Len())
	for i := range m.Fields {
		m.Fields[i] = b.field(fields.Get(i))
	}
	for i := 0; i < md.Oneofs().Len(); i++ {
		if od := md.Oneofs().Get(i); !od.IsSynthetic() {
			m.Oneofs = append(m.Oneofs, string(od.Name()))
		}
	}
	for i := 0; i < md.ReservedNames().Len(); i++ {
		m.Reserved = append(m.Reserved, string(md.ReservedNames().Get(i)))
	}
	return m
}

// wellKnown reports a google.protobuf type, which depth does not count.
func wellKnown(md protoreflect.MessageDescriptor) bool {
	return strings.HasPrefix(string(md.FullName()), "google.protobuf.")
}

// depthOf returns how deep md's data nests. Depths are computed once for
// the whole image, on first use.
func (b *builder) depthOf(md protoreflect.MessageDescriptor) int64 {
	if b.depth == nil {
		b.depth = messageDepths(b.img)
	}
	return b.depth[md.FullName()]
}

// messageDepths computes the depth of every message of img: 0 when no
// field holds a message, else 1 + the deepest depth of the messages its
// fields (and map values) hold. Well-known types count 0. Messages that
// reach each other (recursion) form one level: the graph's strongly
// connected components are collapsed (Tarjan's algorithm) and depths are
// longest paths in the resulting DAG.
func messageDepths(img *image.Image) map[protoreflect.FullName]int64 {
	var all []protoreflect.MessageDescriptor
	var collect func(msgs protoreflect.MessageDescriptors)
	collect = func(msgs protoreflect.MessageDescriptors) {
		for i := 0; i < msgs.Len(); i++ {
			all = append(all, msgs.Get(i))
			collect(msgs.Get(i).Messages())
		}
	}
	for _, f := range img.Files() {
		collect(f.Descriptor.Messages())
	}
	children := func(md protoreflect.MessageDescriptor) []protoreflect.MessageDescriptor {
		var out []protoreflect.MessageDescriptor
		fields := md.Fields()
		for i := 0; i < fields.Len(); i++ {
			fd := fields.Get(i)
			if fd.IsMap() {
				fd = fd.MapValue()
			}
			if c := fd.Message(); c != nil && !wellKnown(c) {
				out = append(out, c)
			}
		}
		return out
	}
	// Tarjan: index, lowlink, stack; components are found in reverse
	// topological order, so every component a component reaches already
	// has its depth when it is found.
	index := make(map[protoreflect.FullName]int)
	low := make(map[protoreflect.FullName]int)
	onStack := make(map[protoreflect.FullName]bool)
	depth := make(map[protoreflect.FullName]int64)
	var stack []protoreflect.MessageDescriptor
	next := 0
	var connect func(md protoreflect.MessageDescriptor)
	connect = func(md protoreflect.MessageDescriptor) {
		name := md.FullName()
		index[name], low[name] = next, next
		next++
		stack = append(stack, md)
		onStack[name] = true
		for _, c := range children(md) {
			if _, seen := index[c.FullName()]; !seen {
				connect(c)
				low[name] = min(low[name], low[c.FullName()])
			} else if onStack[c.FullName()] {
				low[name] = min(low[name], index[c.FullName()])
			}
		}
		if low[name] != index[name] {
			return
		}
		var component []protoreflect.MessageDescriptor
		members := make(map[protoreflect.FullName]bool)
		for {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[top.FullName()] = false
			component = append(component, top)
			members[top.FullName()] = true
			if top.FullName() == name {
				break
			}
		}
		var d int64
		for _, m := range component {
			for _, c := range children(m) {
				if !members[c.FullName()] {
					d = max(d, 1+depth[c.FullName()])
				}
			}
		}
		for _, m := range component {
			depth[m.FullName()] = d
		}
	}
	for _, md := range all {
		if _, seen := index[md.FullName()]; !seen {
			connect(md)
		}
	}
	return depth
}

func kindName(fd protoreflect.FieldDescriptor) string {
	return fd.Kind().String()
}

func typeNameOf(fd protoreflect.FieldDescriptor) string {
	if m := fd.Message(); m != nil {
		return string(m.FullName())
	}
	if e := fd.Enum(); e != nil {
		return string(e.FullName())
	}
	return ""
}

func (b *builder) field(fd protoreflect.FieldDescriptor) *Field {
	f := &Field{
		Name: string(fd.Name()), FullName: string(fd.FullName()), Number: int64(fd.Number()),
		Type: kindName(fd), TypeName: typeNameOf(fd), HasPresence: fd.HasPresence(), IsMap: fd.IsMap(),
		JSONName: fd.JSONName(), IsExtension: fd.IsExtension(), Deprecated: deprecated(fd),
		Options: b.optionsOf(fd), Comments: b.commentsOf(fd), File: fd.ParentFile().Path(),
	}
	switch fd.Cardinality() {
	case protoreflect.Repeated:
		f.Label, f.Cardinality = "repeated", "repeated"
	case protoreflect.Required:
		f.Label, f.Cardinality = "required", "required"
	default:
		f.Label, f.Cardinality = "optional", "optional"
	}
	if fd.IsMap() {
		f.Cardinality = "map"
		f.MapKeyType = kindName(fd.MapKey())
		f.MapValueType = kindName(fd.MapValue())
		f.MapValueTypeName = typeNameOf(fd.MapValue())
	}
	// Compilers fill json_name in every descriptor; it was set by hand
	// when it differs from the name protoc derives.
	f.HasJSONName = fd.JSONName() != defaultJSONName(string(fd.Name()))
	if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
		f.Oneof = string(od.Name())
	}
	if fd.IsExtension() {
		f.Extendee = string(fd.ContainingMessage().FullName())
		if md, ok := fd.Parent().(protoreflect.MessageDescriptor); ok {
			f.Message = string(md.FullName())
		}
	} else {
		f.Message = string(fd.ContainingMessage().FullName())
	}
	if fd.HasDefault() {
		f.Default = defaultString(fd)
	}
	return f
}

func defaultString(fd protoreflect.FieldDescriptor) string {
	v := fd.Default()
	if fd.Kind() == protoreflect.EnumKind {
		if ev := fd.DefaultEnumValue(); ev != nil {
			return string(ev.Name())
		}
	}
	if fd.Kind() == protoreflect.BytesKind {
		return string(v.Bytes())
	}
	return v.String()
}

func (b *builder) enum(ed protoreflect.EnumDescriptor) *Enum {
	e := &Enum{
		Name: string(ed.Name()), FullName: string(ed.FullName()), Package: string(ed.ParentFile().Package()),
		File: ed.ParentFile().Path(), Closed: ed.IsClosed(), Deprecated: deprecated(ed),
		Options: b.optionsOf(ed), Comments: b.commentsOf(ed),
	}
	_, e.Nested = ed.Parent().(protoreflect.MessageDescriptor)
	values := ed.Values()
	e.Values = make([]*EnumValue, values.Len())
	for i := range e.Values {
		e.Values[i] = b.enumValue(values.Get(i))
	}
	if zero := values.ByNumber(0); zero != nil {
		e.ZeroValue = string(zero.Name())
	}
	for i := 0; i < ed.ReservedNames().Len(); i++ {
		e.Reserved = append(e.Reserved, string(ed.ReservedNames().Get(i)))
	}
	return e
}

func (b *builder) enumValue(vd protoreflect.EnumValueDescriptor) *EnumValue {
	return &EnumValue{
		Name: string(vd.Name()), FullName: string(vd.FullName()), Number: int64(vd.Number()),
		Enum: string(vd.Parent().FullName()), Deprecated: deprecated(vd),
		Options: b.optionsOf(vd), Comments: b.commentsOf(vd), File: vd.ParentFile().Path(),
	}
}

func (b *builder) service(sd protoreflect.ServiceDescriptor) *Service {
	s := &Service{
		Name: string(sd.Name()), FullName: string(sd.FullName()), Package: string(sd.ParentFile().Package()),
		File: sd.ParentFile().Path(), Deprecated: deprecated(sd), Options: b.optionsOf(sd), Comments: b.commentsOf(sd),
	}
	methods := sd.Methods()
	s.Methods = make([]*Method, methods.Len())
	for i := range s.Methods {
		s.Methods[i] = b.method(methods.Get(i))
	}
	return s
}

func (b *builder) method(md protoreflect.MethodDescriptor) *Method {
	m := &Method{
		Name: string(md.Name()), FullName: string(md.FullName()), Service: string(md.Parent().FullName()),
		InputType: string(md.Input().FullName()), OutputType: string(md.Output().FullName()),
		ClientStreaming: md.IsStreamingClient(), ServerStreaming: md.IsStreamingServer(),
		Deprecated: deprecated(md), Options: b.optionsOf(md), Comments: b.commentsOf(md), File: md.ParentFile().Path(),
	}
	if opts, ok := md.Options().(*descriptorpb.MethodOptions); ok {
		m.IdempotencyLevel = opts.GetIdempotencyLevel().String()
	}
	return m
}

// element returns the flat Element of a descriptor, or an empty one.
func (b *builder) element(d protoreflect.Descriptor) *Element {
	if d == nil {
		return &Element{}
	}
	e := &Element{Name: string(d.Name()), FullName: string(d.FullName()), File: d.ParentFile().Path(), Options: b.optionsOf(d)}
	switch d := d.(type) {
	case protoreflect.MessageDescriptor:
		e.Kind = "message"
	case protoreflect.FieldDescriptor:
		f := b.field(d)
		e.Kind, e.Number, e.Type, e.TypeName, e.Label, e.JSONName = "field", f.Number, f.Type, f.TypeName, f.Label, f.JSONName
	case protoreflect.EnumDescriptor:
		e.Kind = "enum"
	case protoreflect.EnumValueDescriptor:
		e.Kind, e.Number = "enum_value", int64(d.Number())
	case protoreflect.ServiceDescriptor:
		e.Kind = "service"
	case protoreflect.MethodDescriptor:
		e.Kind = "method"
	case protoreflect.OneofDescriptor:
		e.Kind = "oneof"
	default:
		e.Kind = "other"
	}
	return e
}

// defaultJSONName is the JSON name protoc derives from a field name:
// underscores dropped, the letter after each one upper-cased.
func defaultJSONName(name string) string {
	var b strings.Builder
	upper := false
	for _, r := range name {
		switch {
		case r == '_':
			upper = true
		case upper && r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
			upper = false
		default:
			b.WriteRune(r)
			upper = false
		}
	}
	return b.String()
}
