package dbt_test

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/pbregistry/pbregistry/lakehouse"
	"github.com/pbregistry/pbregistry/lakehouse/dbt"
)

// benchModule returns msgs messages, each with versions descriptors
// (oldest first). Version v changes message v%msgs: it adds a field and
// deletes the oldest added one, and renames the JSON key of field 2;
// messages a version does not change keep their descriptor, as in a real
// module's history.
func benchModule(b *testing.B, msgs, versions int, distinct bool) [][]protoreflect.MessageDescriptor {
	b.Helper()
	build := func(m, rev int) protoreflect.MessageDescriptor {
		var fields []*descriptorpb.FieldDescriptorProto
		types := []descriptorpb.FieldDescriptorProto_Type{
			descriptorpb.FieldDescriptorProto_TYPE_STRING, descriptorpb.FieldDescriptorProto_TYPE_INT64,
			descriptorpb.FieldDescriptorProto_TYPE_UINT64, descriptorpb.FieldDescriptorProto_TYPE_DOUBLE,
			descriptorpb.FieldDescriptorProto_TYPE_BOOL, descriptorpb.FieldDescriptorProto_TYPE_BYTES,
		}
		add := func(n int) {
			f := &descriptorpb.FieldDescriptorProto{
				Name: proto.String(fmt.Sprintf("field_%d", n)), Number: proto.Int32(int32(n)),
				Type: types[n%len(types)].Enum(), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
			}
			if n == 2 {
				f.JsonName = proto.String(fmt.Sprintf("renamed%d", rev))
			}
			fields = append(fields, f)
		}
		for n := 1; n <= 10; n++ {
			add(n)
		}
		add(11 + rev) // one field replaced per revision
		fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
			Name:        proto.String(fmt.Sprintf("m%d_r%d.proto", m, rev)),
			Package:     proto.String("bench.v1"),
			Syntax:      proto.String("proto3"),
			MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String(fmt.Sprintf("Message%d", m)), Field: fields}},
		}, nil)
		if err != nil {
			b.Fatal(err)
		}
		return fd.Messages().Get(0)
	}
	out := make([][]protoreflect.MessageDescriptor, msgs)
	rev := make([]int, msgs)
	cur := make([]protoreflect.MessageDescriptor, msgs)
	for m := range msgs {
		cur[m] = build(m, 0)
	}
	for v := range versions {
		if v > 0 {
			m := v % msgs
			rev[m]++
			cur[m] = build(m, rev[m])
			if distinct {
				for o := range msgs {
					if o != m {
						cur[o] = build(o, rev[o])
					}
				}
			}
		}
		for m := range msgs {
			out[m] = append(out[m], cur[m])
		}
	}
	return out
}

// BenchmarkGenerate200x1000 generates the dbt project (postgres) of a
// module of 200 messages with 1,000 versions of history: the column
// models of every message over every version, then the files.
func BenchmarkGenerate200x1000(b *testing.B) {
	benchGenerate(b, benchModule(b, 200, 1000, false))
}

// BenchmarkGenerate20x1000Distinct is the same for 20 messages whose 1,000
// versions are all distinct descriptors (as when each version's image is
// loaded separately), to scale to 200 messages by 10.
func BenchmarkGenerate20x1000Distinct(b *testing.B) {
	benchGenerate(b, benchModule(b, 20, 1000, true))
}

func benchGenerate(b *testing.B, module [][]protoreflect.MessageDescriptor) {
	b.ResetTimer()
	for b.Loop() {
		p := dbt.Project{Module: "bench/module", Dialect: dbt.Postgres}
		for _, versions := range module {
			n := len(versions) - 1
			t, err := lakehouse.NewTableWith(versions[n], versions[:n], nil, lakehouse.Options{NestedDepth: 1})
			if err != nil {
				b.Fatal(err)
			}
			p.Models = append(p.Models, dbt.Model{Table: t, Kind: "event"})
		}
		if _, err := dbt.Generate(p); err != nil {
			b.Fatal(err)
		}
	}
}
