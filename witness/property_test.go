package witness_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/witness"
)

var (
	propertyPairs    = flag.Int("witness.pairs", 300, "schema pairs TestRoundTripProperty generates (the long mode: 10000)")
	propertyMessages = flag.Int("witness.messages", 20, "random messages per pair and direction, besides the probes")
	propertySeed     = flag.Uint64("witness.seed", 1, "seed of TestRoundTripProperty")
)

// TestRoundTripProperty: for random schema pairs (proto2, proto3 and
// Edition 2023 files) made by the mutations users make — add, delete with
// and without reservation, rename, renumber, type changes across the
// scalar types, cardinality, presence, oneof moves, enum values added,
// deleted and renamed, json_name, packed, a nested message's field, map
// fields and their value types, features.field_presence and
// features.enum_type — whenever the engine says a direction is compatible at a
// layer (its rules and its LOSSLESS rules), every message — the probes of
// witness.Candidates and random ones — written with the writer's schema
// reads with the reader's without error and without changing a value the
// reader knows. A failure prints the seed, the pair and the message.
//
//	go test ./witness -run RoundTrip -witness.pairs 10000   # the long mode
func TestRoundTripProperty(t *testing.T) {
	checked, reported, unwitnessed := 0, 0, map[string]int{}
	for i := 0; i < *propertyPairs; i++ {
		seed := *propertySeed*1_000_003 + uint64(i)
		rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		prevProto := randomFile(rng)
		currProto, mutation := mutate(rng, prevProto)
		prev, err1 := buildImage(prevProto)
		curr, err2 := buildImage(currProto)
		if err1 != nil || err2 != nil {
			continue // a mutation the compiler refuses: users cannot push it either
		}
		for _, l := range layers {
			for _, dir := range []compat.Direction{compat.Backward, compat.Forward} {
				level, writer, reader := compat.LevelBackward, prev, curr
				if dir == compat.Forward {
					level, writer, reader = compat.LevelForward, curr, prev
				}
				rules := ruleSet(t, prev, curr, l.use, level)
				w := propertyWitness(rng, writer, reader, l.layer, dir)
				checked++
				switch {
				case len(rules) == 0 && w != nil:
					t.Fatalf("seed %d (pair %d), mutation %s, %s %s: the engine says compatible, but this message breaks:\n%s\nprevious:\n%s\ncurrent:\n%s",
						seed, i, mutation, l.layer, dir, w, render(prevProto), render(currProto))
				case len(rules) > 0:
					reported++
					if w == nil && conservative("", rules) == "" {
						unwitnessed[strings.Join(rules, "+")]++
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no schema pair was checked")
	}
	t.Logf("%d layer × direction checks over %d pairs, %d reported breaks; reported without a witness among the messages tried: %v", checked, *propertyPairs, reported, unwitnessed)
}

// propertyWitness looks for a witness among the probes and random
// messages of every message both images declare.
func propertyWitness(rng *rand.Rand, writer, reader *image.Image, layer witness.Layer, dir compat.Direction) *witness.Witness {
	if w := findAny(writer, reader, layer, dir); w != nil {
		return w
	}
	if layer == witness.JSON {
		if w := findAny(writer, reader, witness.Wire, dir); w != nil {
			return w
		}
	}
	wm, rm := image.NewIndex(writer).Message("acme.v1.M"), image.NewIndex(reader).Message("acme.v1.M")
	if wm == nil || rm == nil {
		return nil
	}
	for range *propertyMessages {
		m := randomMessage(rng, wm, 0)
		for _, l := range []witness.Layer{layer, witness.Wire} {
			if w := witness.Check(m, rm, l, true); w != nil {
				w.Direction = dir
				return w
			}
			if layer == witness.Wire {
				break
			}
		}
	}
	return nil
}

// scalarTypes are the field types random schemas use.
var scalarTypes = []descriptorpb.FieldDescriptorProto_Type{
	descriptorpb.FieldDescriptorProto_TYPE_INT32, descriptorpb.FieldDescriptorProto_TYPE_INT64,
	descriptorpb.FieldDescriptorProto_TYPE_UINT32, descriptorpb.FieldDescriptorProto_TYPE_UINT64,
	descriptorpb.FieldDescriptorProto_TYPE_SINT32, descriptorpb.FieldDescriptorProto_TYPE_SINT64,
	descriptorpb.FieldDescriptorProto_TYPE_FIXED32, descriptorpb.FieldDescriptorProto_TYPE_FIXED64,
	descriptorpb.FieldDescriptorProto_TYPE_SFIXED32, descriptorpb.FieldDescriptorProto_TYPE_SFIXED64,
	descriptorpb.FieldDescriptorProto_TYPE_BOOL, descriptorpb.FieldDescriptorProto_TYPE_FLOAT,
	descriptorpb.FieldDescriptorProto_TYPE_DOUBLE, descriptorpb.FieldDescriptorProto_TYPE_STRING,
	descriptorpb.FieldDescriptorProto_TYPE_BYTES,
}

// randomFile returns a proto3 or proto2 file, package acme.v1, with a
// message M of 1–6 fields (scalars, an enum E, a nested message N,
// repeated and optional ones, sometimes a oneof) and the enum E.
func randomFile(rng *rand.Rand) *descriptorpb.FileDescriptorProto {
	syntax := "proto3"
	switch rng.IntN(5) {
	case 0:
		syntax = "proto2"
	case 1:
		syntax = "editions"
	}
	f := &descriptorpb.FileDescriptorProto{
		Name: proto.String("acme/v1/m.proto"), Package: proto.String("acme.v1"), Syntax: proto.String(syntax),
		EnumType: []*descriptorpb.EnumDescriptorProto{{Name: proto.String("E"), Value: []*descriptorpb.EnumValueDescriptorProto{
			{Name: proto.String("E_UNSPECIFIED"), Number: proto.Int32(0)},
			{Name: proto.String("E_ONE"), Number: proto.Int32(1)},
			{Name: proto.String("E_TWO"), Number: proto.Int32(2)},
		}}},
		MessageType: []*descriptorpb.DescriptorProto{
			{Name: proto.String("N"), Field: []*descriptorpb.FieldDescriptorProto{field("x", 1, descriptorpb.FieldDescriptorProto_TYPE_INT32, syntax)}},
			{Name: proto.String("M")},
		},
	}
	if syntax == "editions" {
		f.Edition = descriptorpb.Edition_EDITION_2023.Enum()
	}
	m := f.MessageType[1]
	n := 1 + rng.IntN(6)
	for i := 1; i <= n; i++ {
		fd := field(fmt.Sprintf("f%d", i), int32(i), randomType(rng), syntax)
		if rng.IntN(5) == 0 {
			fd.Label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
		} else if syntax == "proto3" && rng.IntN(4) == 0 {
			fd.Proto3Optional = proto.Bool(true)
		}
		m.Field = append(m.Field, fd)
	}
	if rng.IntN(3) == 0 && len(m.Field) >= 2 {
		addOneof(m, 0, 1)
	}
	if rng.IntN(4) == 0 {
		addMap(f, m, descriptorpb.FieldDescriptorProto_TYPE_INT32)
	}
	fixOneofs(m)
	return f
}

func randomType(rng *rand.Rand) descriptorpb.FieldDescriptorProto_Type {
	switch rng.IntN(8) {
	case 0:
		return descriptorpb.FieldDescriptorProto_TYPE_ENUM
	case 1:
		return descriptorpb.FieldDescriptorProto_TYPE_MESSAGE
	}
	return scalarTypes[rng.IntN(len(scalarTypes))]
}

func field(name string, number int32, typ descriptorpb.FieldDescriptorProto_Type, syntax string) *descriptorpb.FieldDescriptorProto {
	fd := &descriptorpb.FieldDescriptorProto{
		Name: proto.String(name), JsonName: proto.String(name), Number: proto.Int32(number),
		Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), Type: typ.Enum(),
	}
	switch typ {
	case descriptorpb.FieldDescriptorProto_TYPE_ENUM:
		fd.TypeName = proto.String(".acme.v1.E")
	case descriptorpb.FieldDescriptorProto_TYPE_MESSAGE:
		fd.TypeName = proto.String(".acme.v1.N")
	}
	return fd
}

// addOneof puts fields i and j of m in a oneof "choice".
func addOneof(m *descriptorpb.DescriptorProto, i, j int) {
	idx := int32(len(m.OneofDecl))
	m.OneofDecl = append(m.OneofDecl, &descriptorpb.OneofDescriptorProto{Name: proto.String(fmt.Sprintf("choice%d", idx))})
	for _, k := range []int{i, j} {
		f := m.Field[k]
		f.Label = descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()
		f.Proto3Optional = nil
		f.OneofIndex = proto.Int32(idx)
	}
}

// fixOneofs rebuilds m's oneofs: real ones as their fields say, then one
// synthetic oneof per proto3 optional field, declared last, as protoc does.
func fixOneofs(m *descriptorpb.DescriptorProto) {
	var real []*descriptorpb.OneofDescriptorProto
	remap := map[int32]int32{}
	for _, f := range m.Field {
		if f.OneofIndex == nil || f.GetProto3Optional() {
			continue
		}
		old := f.GetOneofIndex()
		if _, ok := remap[old]; !ok && int(old) < len(m.OneofDecl) {
			remap[old] = int32(len(real))
			real = append(real, m.OneofDecl[old])
		}
	}
	for _, f := range m.Field {
		if f.GetProto3Optional() {
			f.OneofIndex = nil
		} else if f.OneofIndex != nil {
			if n, ok := remap[f.GetOneofIndex()]; ok {
				f.OneofIndex = proto.Int32(n)
			} else {
				f.OneofIndex = nil
			}
		}
	}
	m.OneofDecl = real
	for _, f := range m.Field {
		if f.GetProto3Optional() {
			f.OneofIndex = proto.Int32(int32(len(m.OneofDecl)))
			m.OneofDecl = append(m.OneofDecl, &descriptorpb.OneofDescriptorProto{Name: proto.String("_" + f.GetName())})
		}
	}
}

// mutate returns a copy of f with one change users make to M or E, and
// its name.
func mutate(rng *rand.Rand, f *descriptorpb.FileDescriptorProto) (*descriptorpb.FileDescriptorProto, string) {
	g := proto.Clone(f).(*descriptorpb.FileDescriptorProto)
	m, e := g.MessageType[1], g.EnumType[0]
	pick := m.Field[rng.IntN(len(m.Field))]
	next := int32(len(m.Field) + 10)
	var what string
	switch rng.IntN(17) {
	case 0:
		m.Field = append(m.Field, field(fmt.Sprintf("added%d", next), next, randomType(rng), g.GetSyntax()))
		what = "add a field"
	case 1:
		m.Field = slices.DeleteFunc(m.Field, func(x *descriptorpb.FieldDescriptorProto) bool { return x == pick })
		if rng.IntN(2) == 0 {
			m.ReservedRange = append(m.ReservedRange, &descriptorpb.DescriptorProto_ReservedRange{Start: proto.Int32(pick.GetNumber()), End: proto.Int32(pick.GetNumber() + 1)})
			m.ReservedName = append(m.ReservedName, pick.GetName())
			what = "delete a field, reserved"
		} else {
			what = "delete a field"
		}
		if len(m.Field) == 0 {
			m.Field = append(m.Field, field("kept", next, descriptorpb.FieldDescriptorProto_TYPE_STRING, g.GetSyntax()))
		}
	case 2:
		pick.Name = proto.String(pick.GetName() + "_renamed")
		pick.JsonName = proto.String(pick.GetName())
		what = "rename a field"
	case 3:
		pick.Number = proto.Int32(next + 100)
		what = "renumber a field"
	case 4, 5:
		if pick.GetType() == descriptorpb.FieldDescriptorProto_TYPE_MESSAGE || pick.GetType() == descriptorpb.FieldDescriptorProto_TYPE_ENUM {
			pick.TypeName = nil
		}
		t := scalarTypes[rng.IntN(len(scalarTypes))]
		if rng.IntN(6) == 0 {
			t = descriptorpb.FieldDescriptorProto_TYPE_ENUM
		}
		what = fmt.Sprintf("change a field's type from %s to %s", pick.GetType(), t)
		pick.Type = t.Enum()
		if t == descriptorpb.FieldDescriptorProto_TYPE_ENUM {
			pick.TypeName = proto.String(".acme.v1.E")
		}
	case 6:
		if pick.GetLabel() == descriptorpb.FieldDescriptorProto_LABEL_REPEATED {
			pick.Label = descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()
			what = "make a repeated field singular"
		} else {
			pick.Label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
			pick.Proto3Optional, pick.OneofIndex = nil, nil
			what = "make a field repeated"
		}
	case 7:
		if g.GetSyntax() == "proto3" && pick.OneofIndex == nil && pick.GetLabel() != descriptorpb.FieldDescriptorProto_LABEL_REPEATED {
			pick.Proto3Optional = proto.Bool(!pick.GetProto3Optional())
			what = "toggle proto3 optional"
		} else {
			what = "no change"
		}
	case 8:
		if len(m.Field) >= 2 && m.Field[0].GetLabel() != descriptorpb.FieldDescriptorProto_LABEL_REPEATED &&
			m.Field[1].GetLabel() != descriptorpb.FieldDescriptorProto_LABEL_REPEATED && m.Field[0].OneofIndex == nil && m.Field[1].OneofIndex == nil {
			addOneof(m, 0, 1)
			what = "move fields into a oneof"
		} else {
			for _, x := range m.Field {
				if !x.GetProto3Optional() {
					x.OneofIndex = nil
				}
			}
			what = "move fields out of oneofs"
		}
	case 9:
		e.Value = append(e.Value, &descriptorpb.EnumValueDescriptorProto{Name: proto.String("E_THREE"), Number: proto.Int32(3)})
		what = "add an enum value"
	case 10:
		e.Value = e.Value[:len(e.Value)-1]
		if rng.IntN(2) == 0 {
			e.ReservedRange = append(e.ReservedRange, &descriptorpb.EnumDescriptorProto_EnumReservedRange{Start: proto.Int32(2), End: proto.Int32(2)})
			e.ReservedName = append(e.ReservedName, "E_TWO")
			what = "delete an enum value, reserved"
		} else {
			what = "delete an enum value"
		}
	case 11:
		e.Value[1].Name = proto.String("E_UNO")
		what = "rename an enum value"
	case 12:
		pick.JsonName = proto.String("renamed" + pick.GetName())
		what = "change a field's json_name"
	case 13:
		if pick.GetLabel() == descriptorpb.FieldDescriptorProto_LABEL_REPEATED && packable(pick.GetType()) {
			packed := true
			if pick.Options != nil && pick.Options.Packed != nil {
				packed = !pick.Options.GetPacked()
			}
			if g.GetSyntax() == "editions" {
				enc := descriptorpb.FeatureSet_PACKED
				if !packed {
					enc = descriptorpb.FeatureSet_EXPANDED
				}
				pick.Options = &descriptorpb.FieldOptions{Features: &descriptorpb.FeatureSet{RepeatedFieldEncoding: enc.Enum()}}
			} else {
				pick.Options = &descriptorpb.FieldOptions{Packed: proto.Bool(packed)}
			}
			what = "toggle packed"
		} else {
			what = "no change"
		}
	case 14:
		n := g.MessageType[0].Field[0]
		t := scalarTypes[rng.IntN(len(scalarTypes))]
		what = fmt.Sprintf("change a nested message's field from %s to %s", n.GetType(), t)
		n.Type = t.Enum()
	case 15:
		if entry := mapEntry(g, m); entry != nil {
			t := scalarTypes[rng.IntN(len(scalarTypes))]
			what = fmt.Sprintf("change a map's value type from %s to %s", entry.Field[1].GetType(), t)
			entry.Field[1].Type = t.Enum()
		} else {
			addMap(g, m, descriptorpb.FieldDescriptorProto_TYPE_STRING)
			what = "add a map field"
		}
	case 16:
		if g.GetSyntax() != "editions" {
			what = "no change"
			break
		}
		if rng.IntN(2) == 0 {
			if pick.GetLabel() == descriptorpb.FieldDescriptorProto_LABEL_REPEATED || pick.OneofIndex != nil || pick.GetType() == descriptorpb.FieldDescriptorProto_TYPE_MESSAGE {
				what = "no change"
				break
			}
			if pick.GetOptions().GetFeatures().GetFieldPresence() == descriptorpb.FeatureSet_IMPLICIT {
				pick.Options = nil
				what = "features.field_presence IMPLICIT → EXPLICIT"
			} else {
				pick.Options = &descriptorpb.FieldOptions{Features: &descriptorpb.FeatureSet{FieldPresence: descriptorpb.FeatureSet_IMPLICIT.Enum()}}
				what = "features.field_presence EXPLICIT → IMPLICIT"
			}
		} else {
			if e.GetOptions().GetFeatures().GetEnumType() == descriptorpb.FeatureSet_CLOSED {
				e.Options = nil
				what = "features.enum_type CLOSED → OPEN"
			} else {
				e.Options = &descriptorpb.EnumOptions{Features: &descriptorpb.FeatureSet{EnumType: descriptorpb.FeatureSet_CLOSED.Enum()}}
				what = "features.enum_type OPEN → CLOSED"
			}
		}
	}
	fixOneofs(m)
	return g, what
}

// packable reports whether repeated fields of type t may be packed.
func packable(t descriptorpb.FieldDescriptorProto_Type) bool {
	switch t {
	case descriptorpb.FieldDescriptorProto_TYPE_STRING, descriptorpb.FieldDescriptorProto_TYPE_BYTES,
		descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, descriptorpb.FieldDescriptorProto_TYPE_GROUP:
		return false
	}
	return true
}

// addMap adds `map<string, value> m = 50;` to m, with its entry message.
func addMap(f *descriptorpb.FileDescriptorProto, m *descriptorpb.DescriptorProto, value descriptorpb.FieldDescriptorProto_Type) {
	entry := &descriptorpb.DescriptorProto{
		Name:    proto.String("MEntry"),
		Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
		Field: []*descriptorpb.FieldDescriptorProto{
			field("key", 1, descriptorpb.FieldDescriptorProto_TYPE_STRING, f.GetSyntax()),
			field("value", 2, value, f.GetSyntax()),
		},
	}
	m.NestedType = append(m.NestedType, entry)
	fd := field("m", 50, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, f.GetSyntax())
	fd.Label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
	fd.TypeName = proto.String(".acme.v1.M.MEntry")
	m.Field = append(m.Field, fd)
}

// mapEntry returns m's map entry message, or nil.
func mapEntry(f *descriptorpb.FileDescriptorProto, m *descriptorpb.DescriptorProto) *descriptorpb.DescriptorProto {
	for _, n := range m.NestedType {
		if n.GetOptions().GetMapEntry() {
			return n
		}
	}
	return nil
}

// buildImage links f (and the well-known types it needs: none) into an
// image.
func buildImage(f *descriptorpb.FileDescriptorProto) (*image.Image, error) {
	fd, err := protodesc.NewFile(f, nil)
	if err != nil {
		return nil, err
	}
	return image.New([]*image.File{{Descriptor: fd}})
}

// render prints a file's messages and enum, for failure messages.
func render(f *descriptorpb.FileDescriptorProto) string {
	fd, err := protodesc.NewFile(f, nil)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "syntax %s\n", f.GetSyntax())
	m := fd.Messages().ByName("M")
	for i := 0; i < m.Fields().Len(); i++ {
		x := m.Fields().Get(i)
		oneof := ""
		if o := x.ContainingOneof(); o != nil {
			oneof = " in " + string(o.Name())
		}
		fmt.Fprintf(&b, "  %s %s %s = %d [json %s]%s\n", x.Cardinality(), x.Kind(), x.Name(), x.Number(), x.JSONName(), oneof)
	}
	e := fd.Enums().ByName("E")
	for i := 0; i < e.Values().Len(); i++ {
		fmt.Fprintf(&b, "  E.%s = %d\n", e.Values().Get(i).Name(), e.Values().Get(i).Number())
	}
	return b.String()
}

// randomMessage fills each field of md with probability 1/2 with a random
// value, nested messages up to depth 2.
func randomMessage(rng *rand.Rand, md protoreflect.MessageDescriptor, depth int) protoreflect.Message {
	m := dynamicpb.NewMessage(md)
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if rng.IntN(2) == 0 || (f.ContainingOneof() != nil && !f.ContainingOneof().IsSynthetic() && m.WhichOneof(f.ContainingOneof()) != nil) {
			continue
		}
		if f.IsMap() {
			mm := m.Mutable(f).Map()
			for i := range 1 + rng.IntN(3) {
				if v, ok := randomValue(rng, f.MapValue(), depth); ok {
					mm.Set(protoreflect.ValueOfString(fmt.Sprintf("k%d", i)).MapKey(), v)
				}
			}
			continue
		}
		if f.IsList() {
			l := m.Mutable(f).List()
			for range 1 + rng.IntN(3) {
				if v, ok := randomValue(rng, f, depth); ok {
					l.Append(v)
				}
			}
			continue
		}
		if v, ok := randomValue(rng, f, depth); ok {
			m.Set(f, v)
		}
	}
	return m
}

func randomValue(rng *rand.Rand, f protoreflect.FieldDescriptor, depth int) (protoreflect.Value, bool) {
	bits := rng.IntN(64) + 1
	u := rng.Uint64() >> (64 - bits)
	switch f.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(rng.IntN(2) == 0), true
	case protoreflect.EnumKind:
		vals := f.Enum().Values()
		return protoreflect.ValueOfEnum(vals.Get(rng.IntN(vals.Len())).Number()), true
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(int32(u)), true
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(int64(u)), true
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(uint32(u)), true
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(u), true
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(float32(rng.NormFloat64() * float64(u%1000))), true
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(rng.NormFloat64() * float64(u)), true
	case protoreflect.StringKind:
		return protoreflect.ValueOfString([]string{"a", "héllo", "", "🙂"}[rng.IntN(4)]), true
	case protoreflect.BytesKind:
		b := make([]byte, rng.IntN(4))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return protoreflect.ValueOfBytes(b), true
	case protoreflect.MessageKind, protoreflect.GroupKind:
		if depth >= 2 {
			return protoreflect.Value{}, false
		}
		return protoreflect.ValueOfMessage(randomMessage(rng, f.Message(), depth+1)), true
	}
	return protoreflect.Value{}, false
}
