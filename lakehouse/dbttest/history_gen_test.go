package dbttest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	_ "google.golang.org/protobuf/types/known/durationpb"  // registers google/protobuf/duration.proto
	_ "google.golang.org/protobuf/types/known/structpb"    // registers google/protobuf/struct.proto
	_ "google.golang.org/protobuf/types/known/timestamppb" // registers google/protobuf/timestamp.proto
	_ "google.golang.org/protobuf/types/known/wrapperspb"  // registers google/protobuf/wrappers.proto

	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/registry"
)

// This file generates random schema histories that the registry accepts:
// a schema (a subject message Row, a nested message Inner, an enum
// Status) evolves one change per version — fields added, deleted with or
// without reserving their numbers and names, renamed, given another
// json_name; enum values added, deleted, renamed — and each change is
// kept only when registry.CheckImages, the check every push runs, finds
// nothing blocking for the subject's kind, with the ledger of every
// earlier accepted version.

// genFile is the path and package of the generated schemas.
const (
	genFile    = "prop/v1/prop.proto"
	genPackage = "prop.v1"
	genSubject = genPackage + ".Row"
)

// wellKnown are the files the generated schemas import.
var wellKnown = []string{
	"google/protobuf/duration.proto", "google/protobuf/struct.proto",
	"google/protobuf/timestamp.proto", "google/protobuf/wrappers.proto",
}

// gField is one field of a generated message.
type gField struct {
	Number   int32
	Name     string
	JSONName string // an explicit json_name, or ""
	Type     descriptorpb.FieldDescriptorProto_Type
	TypeName string // for messages and enums, fully qualified with a leading dot
	Repeated bool
	Map      bool   // map<string, TypeName or Type>
	Optional bool   // proto3 optional
	Oneof    string // the real oneof it belongs to, or ""
}

// gMessage is a generated message.
type gMessage struct {
	Name          string
	Fields        []gField
	ReservedNums  []int32
	ReservedNames []string
}

// gEnumValue is one value of the generated enum.
type gEnumValue struct {
	Name   string
	Number int32
}

// gSchema is one version of the generated schema.
type gSchema struct {
	Row, Inner    gMessage
	Status        []gEnumValue
	StatusResNums []int32
	StatusResName []string
	// Counter makes every new name fresh.
	Counter int
}

func (s *gSchema) clone() *gSchema {
	c := *s
	for _, m := range []*gMessage{&c.Row, &c.Inner} {
		m.Fields = slices.Clone(m.Fields)
		m.ReservedNums = slices.Clone(m.ReservedNums)
		m.ReservedNames = slices.Clone(m.ReservedNames)
	}
	c.Status = slices.Clone(s.Status)
	c.StatusResNums = slices.Clone(s.StatusResNums)
	c.StatusResName = slices.Clone(s.StatusResName)
	return &c
}

// words are the stems of generated names; a counter suffix keeps each name
// fresh, so a rename never takes a name another field had.
var words = []string{"amount", "note", "created", "total", "label", "owner", "score", "flag", "region", "count", "payload", "ref"}

func (s *gSchema) fresh(r *rand.Rand) string {
	s.Counter++
	return fmt.Sprintf("%s_%d", words[r.IntN(len(words))], s.Counter)
}

// nextNumber returns a field number of m that no field and no reservation
// uses: deleted numbers without a reservation may come back, for the
// ledger to refuse.
func (m *gMessage) nextNumber(r *rand.Rand, reuse bool) int32 {
	used := map[int32]bool{}
	for _, f := range m.Fields {
		used[f.Number] = true
	}
	for _, n := range m.ReservedNums {
		used[n] = true
	}
	if reuse {
		for n := int32(2); n < 40; n++ {
			if !used[n] && r.IntN(3) == 0 {
				return n
			}
		}
	}
	for n := int32(1); ; n++ {
		if !used[n] {
			return n
		}
	}
}

// scalarTypes are the scalar types of generated fields.
var scalarTypes = []descriptorpb.FieldDescriptorProto_Type{
	descriptorpb.FieldDescriptorProto_TYPE_INT32, descriptorpb.FieldDescriptorProto_TYPE_INT64,
	descriptorpb.FieldDescriptorProto_TYPE_UINT32, descriptorpb.FieldDescriptorProto_TYPE_UINT64,
	descriptorpb.FieldDescriptorProto_TYPE_SINT32, descriptorpb.FieldDescriptorProto_TYPE_SINT64,
	descriptorpb.FieldDescriptorProto_TYPE_FIXED32, descriptorpb.FieldDescriptorProto_TYPE_FIXED64,
	descriptorpb.FieldDescriptorProto_TYPE_SFIXED32, descriptorpb.FieldDescriptorProto_TYPE_SFIXED64,
	descriptorpb.FieldDescriptorProto_TYPE_BOOL, descriptorpb.FieldDescriptorProto_TYPE_STRING,
	descriptorpb.FieldDescriptorProto_TYPE_BYTES, descriptorpb.FieldDescriptorProto_TYPE_FLOAT,
	descriptorpb.FieldDescriptorProto_TYPE_DOUBLE,
}

// wellKnownTypes are the message types from wellKnown a field may have.
var wellKnownTypes = []string{
	".google.protobuf.Timestamp", ".google.protobuf.Duration", ".google.protobuf.Struct",
	".google.protobuf.Int64Value", ".google.protobuf.UInt64Value", ".google.protobuf.StringValue",
	".google.protobuf.BoolValue", ".google.protobuf.DoubleValue", ".google.protobuf.BytesValue",
	".google.protobuf.FloatValue", ".google.protobuf.Int32Value", ".google.protobuf.UInt32Value",
}

// newField returns a random field named name numbered n; top says whether
// it is a field of Row (which may hold Inner, repeated fields and maps).
func newField(r *rand.Rand, name string, n int32, top bool) gField {
	f := gField{Number: n, Name: name}
	msg := descriptorpb.FieldDescriptorProto_TYPE_MESSAGE
	switch k := r.IntN(10); {
	case k < 5:
		f.Type = scalarTypes[r.IntN(len(scalarTypes))]
	case k < 6:
		f.Type, f.TypeName = descriptorpb.FieldDescriptorProto_TYPE_ENUM, "."+genPackage+".Status"
	case k < 8:
		f.Type, f.TypeName = msg, wellKnownTypes[r.IntN(len(wellKnownTypes))]
	default:
		if top {
			f.Type, f.TypeName = msg, "."+genPackage+".Inner"
		} else {
			f.Type = scalarTypes[r.IntN(len(scalarTypes))]
		}
	}
	switch k := r.IntN(10); {
	case top && k == 0:
		f.Repeated = true
	case top && k == 1 && f.TypeName != ".google.protobuf.Struct":
		f.Map = true
	case k == 2 && f.Type != msg:
		f.Optional = true
	case top && k == 3:
		f.Oneof = "choice"
	}
	return f
}

// initialSchema returns a random first version; kind decides the key.
func initialSchema(r *rand.Rand, kind registry.SubjectKind) *gSchema {
	s := &gSchema{Row: gMessage{Name: "Row"}, Inner: gMessage{Name: "Inner"}}
	s.Status = []gEnumValue{{"STATUS_UNSPECIFIED", 0}, {"STATUS_OPEN", 1}, {"STATUS_DONE", 2}}
	if kind == registry.KindPBTable {
		s.Row.Fields = append(s.Row.Fields, gField{Number: 1, Name: "id", Type: descriptorpb.FieldDescriptorProto_TYPE_STRING})
	}
	for range 2 + r.IntN(5) {
		s.Row.Fields = append(s.Row.Fields, newField(r, s.fresh(r), s.Row.nextNumber(r, false), true))
	}
	s.Row.Fields = append(s.Row.Fields, gField{Number: s.Row.nextNumber(r, false), Name: s.fresh(r), Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, TypeName: "." + genPackage + ".Inner"})
	for range 1 + r.IntN(4) {
		s.Inner.Fields = append(s.Inner.Fields, newField(r, s.fresh(r), s.Inner.nextNumber(r, false), false))
	}
	return s
}

// mutate returns a copy of s with one random change, and says what it is.
func mutate(r *rand.Rand, s *gSchema) (*gSchema, string) {
	c := s.clone()
	m := &c.Row
	where := "Row"
	if r.IntN(4) == 0 {
		m, where = &c.Inner, "Inner"
	}
	// The fields a change may touch: never the primary key "id".
	var touchable []int
	for i, f := range m.Fields {
		if f.Name != "id" {
			touchable = append(touchable, i)
		}
	}
	switch k := r.IntN(20); {
	case k < 7 || len(touchable) == 0:
		f := newField(r, c.fresh(r), m.nextNumber(r, r.IntN(4) == 0), where == "Row")
		m.Fields = append(m.Fields, f)
		return c, fmt.Sprintf("add %s.%s = %d", where, f.Name, f.Number)
	case k < 11:
		i := touchable[r.IntN(len(touchable))]
		f := m.Fields[i]
		m.Fields = slices.Delete(m.Fields, i, i+1)
		how := "reserving number and name"
		switch r.IntN(5) {
		case 0:
			how = "reserving nothing"
		case 1:
			m.ReservedNums = append(m.ReservedNums, f.Number)
			how = "reserving the number"
		default:
			m.ReservedNums = append(m.ReservedNums, f.Number)
			m.ReservedNames = append(m.ReservedNames, f.Name)
		}
		return c, fmt.Sprintf("delete %s.%s = %d, %s", where, f.Name, f.Number, how)
	case k < 14:
		i := touchable[r.IntN(len(touchable))]
		old := m.Fields[i].Name
		m.Fields[i].Name = c.fresh(r)
		if r.IntN(2) == 0 {
			m.ReservedNames = append(m.ReservedNames, old)
		}
		return c, fmt.Sprintf("rename %s.%s = %d to %s", where, old, m.Fields[i].Number, m.Fields[i].Name)
	case k < 15:
		i := touchable[r.IntN(len(touchable))]
		c.Counter++
		m.Fields[i].JSONName = fmt.Sprintf("alias%dX", c.Counter)
		return c, fmt.Sprintf("json_name of %s.%s = %d: %s", where, m.Fields[i].Name, m.Fields[i].Number, m.Fields[i].JSONName)
	case k < 17:
		n := int32(1)
		for slices.ContainsFunc(c.Status, func(v gEnumValue) bool { return v.Number == n }) || slices.Contains(c.StatusResNums, n) {
			n++
		}
		c.Counter++
		name := fmt.Sprintf("STATUS_V%d", c.Counter)
		c.Status = append(c.Status, gEnumValue{name, n})
		return c, fmt.Sprintf("add enum value %s = %d", name, n)
	case k < 19:
		if len(c.Status) < 2 {
			return c, "no change"
		}
		i := 1 + r.IntN(len(c.Status)-1)
		v := c.Status[i]
		c.Status = slices.Delete(c.Status, i, i+1)
		c.StatusResNums = append(c.StatusResNums, v.Number)
		c.StatusResName = append(c.StatusResName, v.Name)
		return c, fmt.Sprintf("delete enum value %s = %d, reserved", v.Name, v.Number)
	default:
		i := r.IntN(len(c.Status))
		old := c.Status[i].Name
		c.Counter++
		c.Status[i].Name = fmt.Sprintf("STATUS_R%d", c.Counter)
		return c, fmt.Sprintf("rename enum value %s to %s", old, c.Status[i].Name)
	}
}

// descriptorProto returns the message's descriptor, with its map entries
// and oneofs (real ones first, then proto3 optional's synthetic ones).
func (m *gMessage) descriptorProto() *descriptorpb.DescriptorProto {
	d := &descriptorpb.DescriptorProto{Name: proto.String(m.Name)}
	var oneofs []string
	for _, f := range m.Fields {
		if f.Oneof != "" && !slices.Contains(oneofs, f.Oneof) {
			oneofs = append(oneofs, f.Oneof)
		}
	}
	synthetic := len(oneofs)
	// A oneof's members are declared together, where its first one is.
	var fields []gField
	for i, f := range m.Fields {
		if f.Oneof == "" {
			fields = append(fields, f)
			continue
		}
		if slices.ContainsFunc(m.Fields[:i], func(g gField) bool { return g.Oneof == f.Oneof }) {
			continue
		}
		for _, g := range m.Fields[i:] {
			if g.Oneof == f.Oneof {
				fields = append(fields, g)
			}
		}
	}
	for _, f := range fields {
		fd := &descriptorpb.FieldDescriptorProto{
			Name: proto.String(f.Name), Number: proto.Int32(f.Number), Type: f.Type.Enum(),
			Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
		}
		if f.TypeName != "" {
			fd.TypeName = proto.String(f.TypeName)
		}
		if f.JSONName != "" {
			fd.JsonName = proto.String(f.JSONName)
		}
		switch {
		case f.Map:
			entry := mapEntryName(f.Name)
			value := &descriptorpb.FieldDescriptorProto{Name: proto.String("value"), Number: proto.Int32(2), Type: f.Type.Enum(), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()}
			if f.TypeName != "" {
				value.TypeName = proto.String(f.TypeName)
			}
			d.NestedType = append(d.NestedType, &descriptorpb.DescriptorProto{
				Name: proto.String(entry),
				Field: []*descriptorpb.FieldDescriptorProto{
					{Name: proto.String("key"), Number: proto.Int32(1), Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()},
					value,
				},
				Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
			})
			fd.Type = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum()
			fd.TypeName = proto.String("." + genPackage + "." + m.Name + "." + entry)
			fd.Label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
		case f.Repeated:
			fd.Label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
		case f.Optional:
			fd.Proto3Optional = proto.Bool(true)
			fd.OneofIndex = proto.Int32(int32(synthetic))
			synthetic++
			oneofs = append(oneofs, "_"+f.Name)
		case f.Oneof != "":
			fd.OneofIndex = proto.Int32(int32(slices.Index(oneofs, f.Oneof)))
		}
		d.Field = append(d.Field, fd)
	}
	for _, o := range oneofs {
		d.OneofDecl = append(d.OneofDecl, &descriptorpb.OneofDescriptorProto{Name: proto.String(o)})
	}
	for _, n := range m.ReservedNums {
		d.ReservedRange = append(d.ReservedRange, &descriptorpb.DescriptorProto_ReservedRange{Start: proto.Int32(n), End: proto.Int32(n + 1)})
	}
	d.ReservedName = slices.Clone(m.ReservedNames)
	return d
}

// mapEntryName is protoc's name of a map field's entry message:
// "counts_by_id" → "CountsByIdEntry".
func mapEntryName(field string) string {
	var b strings.Builder
	up := true
	for _, c := range field {
		if c == '_' {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = false
		b.WriteRune(c)
	}
	return b.String() + "Entry"
}

// build links s into a file and an image holding it and the well-known
// files it imports.
func (s *gSchema) build() (protoreflect.FileDescriptor, *image.Image, error) {
	enum := &descriptorpb.EnumDescriptorProto{Name: proto.String("Status")}
	for _, v := range s.Status {
		enum.Value = append(enum.Value, &descriptorpb.EnumValueDescriptorProto{Name: proto.String(v.Name), Number: proto.Int32(v.Number)})
	}
	for _, n := range s.StatusResNums {
		enum.ReservedRange = append(enum.ReservedRange, &descriptorpb.EnumDescriptorProto_EnumReservedRange{Start: proto.Int32(n), End: proto.Int32(n)})
	}
	enum.ReservedName = slices.Clone(s.StatusResName)
	fdp := &descriptorpb.FileDescriptorProto{
		Name: proto.String(genFile), Package: proto.String(genPackage), Syntax: proto.String("proto3"),
		Dependency:  wellKnown,
		MessageType: []*descriptorpb.DescriptorProto{s.Row.descriptorProto(), s.Inner.descriptorProto()},
		EnumType:    []*descriptorpb.EnumDescriptorProto{enum},
	}
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		return nil, nil, err
	}
	var files []*image.File
	for _, path := range wellKnown {
		wk, err := protoregistry.GlobalFiles.FindFileByPath(path)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, &image.File{Descriptor: wk, IsImport: true})
	}
	img, err := image.New(append(files, &image.File{Descriptor: fd}))
	return fd, img, err
}

// history is a generated history the registry accepted.
type history struct {
	kind registry.SubjectKind
	// versions are the accepted versions' files, oldest first.
	versions []protoreflect.FileDescriptor
	// changes says what each version changed; refused what the registry
	// refused on the way, with its first blocking finding.
	changes, refused []string
}

// row returns version v's subject message.
func (h *history) row(v int) protoreflect.MessageDescriptor {
	return h.versions[v].Messages().ByName("Row")
}

// genHistory returns a history of up to n versions that registry.CheckImages
// accepts for a subject of kind, with the ledger its accepted versions
// build as a store would.
func genHistory(ctx context.Context, r *rand.Rand, kind registry.SubjectKind, n int) (*history, error) {
	h := &history{kind: kind}
	spec := registry.CheckSpec{Subjects: []registry.SubjectSpec{{Name: genSubject, Kind: kind}}}
	if kind == registry.KindPBTable {
		spec.Subjects[0].PrimaryKey = []string{"id"}
	}
	type id struct{ scope, kind, key string }
	var ledger []registry.LedgerEntry
	remembered := map[id]bool{}
	ledgerOf := registry.LedgerFunc(func(context.Context, string) ([]registry.LedgerEntry, error) { return ledger, nil })
	var prev *image.Image
	var current *gSchema
	s := initialSchema(r, kind)
	change := "initial"
	for attempts := 0; len(h.versions) < n && attempts < 8*n; attempts++ {
		fd, img, err := s.build()
		if err == nil {
			var res *registry.CheckResult
			res, err = registry.CheckImages(ctx, prev, img, spec, ledgerOf)
			if err != nil {
				return nil, fmt.Errorf("check after %q: %w", change, err)
			}
			var blocking []string
			for _, f := range res.Findings {
				if f.Blocking() {
					blocking = append(blocking, f.Rule)
				}
			}
			if len(blocking) == 0 {
				h.versions = append(h.versions, fd)
				h.changes = append(h.changes, change)
				for _, e := range res.Ledger {
					k := id{e.Scope, string(e.Kind), e.Key}
					if !remembered[k] {
						remembered[k] = true
						e.FirstVersion = int64(len(h.versions))
						ledger = append(ledger, e)
					}
				}
				prev = img
				current = s
			} else {
				h.refused = append(h.refused, change+": "+strings.Join(blocking, ", "))
			}
		} else if len(h.versions) == 0 {
			return nil, fmt.Errorf("the first version does not link: %w", err)
		} else {
			h.refused = append(h.refused, change+": "+err.Error())
		}
		if current == nil {
			return nil, fmt.Errorf("the first version is refused: %s", strings.Join(h.refused, "; "))
		}
		s, change = mutate(r, current)
	}
	return h, nil
}
