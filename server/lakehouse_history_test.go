package server

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/pbregistry/pbregistry/config"
	"github.com/pbregistry/pbregistry/image"
	"github.com/pbregistry/pbregistry/lakehouse/dbt"
)

// historySets returns versions descriptor sets of a module of files
// files with msgs messages each: version v adds a field to one message
// of file v%files, the other files keep their bytes, as in a real
// module's history. File i imports file 0 (which version 0 mod files
// changes).
func historySets(tb testing.TB, files, msgs, versions int) [][]byte {
	tb.Helper()
	rev := make([]int, files)
	var out [][]byte
	for v := range versions {
		if v > 0 {
			rev[v%files]++
		}
		set := &descriptorpb.FileDescriptorSet{}
		for f := range files {
			fdp := &descriptorpb.FileDescriptorProto{
				Name: proto.String(fmt.Sprintf("bench/v1/f%d.proto", f)), Package: proto.String("bench.v1"), Syntax: proto.String("proto3"),
			}
			if f > 0 {
				fdp.Dependency = []string{"bench/v1/f0.proto"}
			}
			for m := range msgs {
				md := &descriptorpb.DescriptorProto{Name: proto.String(fmt.Sprintf("M%d_%d", f, m))}
				for n := 1; n <= 10+rev[f]; n++ {
					md.Field = append(md.Field, &descriptorpb.FieldDescriptorProto{
						Name: proto.String(fmt.Sprintf("field_%d", n)), Number: proto.Int32(int32(n)),
						Type: descriptorpb.FieldDescriptorProto_TYPE_INT64.Enum(), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
					})
				}
				if f > 0 && m == 0 {
					md.Field = append(md.Field, &descriptorpb.FieldDescriptorProto{
						Name: proto.String("ref"), Number: proto.Int32(1000), TypeName: proto.String(".bench.v1.M0_0"),
						Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
					})
				}
				fdp.MessageType = append(fdp.MessageType, md)
			}
			set.File = append(set.File, fdp)
		}
		data, err := proto.MarshalOptions{Deterministic: true}.Marshal(set)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// TestHistoryDecoderShares: the decoder gives the messages image.Decode
// gives; a file whose bytes and imports are unchanged gets the descriptor
// of the earlier version, a changed file and every file importing it a
// new one.
func TestHistoryDecoderShares(t *testing.T) {
	sets := historySets(t, 3, 2, 3) // v1 changes f1, v2 changes f2; f0 never
	dec := newHistoryDecoder()
	var imgs []*image.Image
	for i, data := range sets {
		img, err := dec.decode(data)
		if err != nil {
			t.Fatal(err)
		}
		want, err := image.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range want.Files() {
			got := img.File(f.Path())
			if got == nil || got.Descriptor.Messages().Len() != f.Descriptor.Messages().Len() {
				t.Fatalf("version %d: file %s missing or different", i, f.Path())
			}
			for j := 0; j < f.Descriptor.Messages().Len(); j++ {
				if g, w := got.Descriptor.Messages().Get(j), f.Descriptor.Messages().Get(j); g.FullName() != w.FullName() || g.Fields().Len() != w.Fields().Len() {
					t.Errorf("version %d: message %s has %d fields, image.Decode gives %s with %d", i, g.FullName(), g.Fields().Len(), w.FullName(), w.Fields().Len())
				}
			}
		}
		imgs = append(imgs, img)
	}
	same := func(v, w int, path string) bool {
		return imgs[v].File(path).Descriptor == imgs[w].File(path).Descriptor
	}
	if !same(0, 2, "bench/v1/f0.proto") || !same(0, 1, "bench/v1/f2.proto") || !same(1, 2, "bench/v1/f1.proto") {
		t.Error("unchanged files are not shared across versions")
	}
	if same(0, 1, "bench/v1/f1.proto") || same(1, 2, "bench/v1/f2.proto") {
		t.Error("a changed file shares the descriptor of its earlier version")
	}
	// A file whose import changed is linked again, though its bytes are
	// the same: its descriptors resolve to the new import's.
	sets = historySets(t, 2, 1, 3) // v2 changes f0, which f1 imports
	dec = newHistoryDecoder()
	var f1 []*image.Image
	for _, data := range sets {
		img, err := dec.decode(data)
		if err != nil {
			t.Fatal(err)
		}
		f1 = append(f1, img)
	}
	if f1[1].File("bench/v1/f1.proto").Descriptor == f1[2].File("bench/v1/f1.proto").Descriptor {
		t.Error("a file whose import changed shares the descriptor linked against the old import")
	}
	if _, err := dec.decode([]byte{0x0a, 0x05, 0x0a, 0x03, 'a', '.'}); err == nil || !strings.Contains(err.Error(), "descriptor set") {
		t.Errorf("a truncated set: error %v, want a descriptor set error", err)
	}
}

// BenchmarkLakehouseHistory200x1000 is the server's path for a dbt
// project of a module of 200 messages (200 files, each importing the
// first) with 1,000 versions, each changing one file: decoding every version's stored descriptor set, then the
// project. "shared" is historyDecoder (each distinct file linked once,
// messages found through per-file maps), as the server does; "separate"
// decodes and indexes each version on its own, as it did before.
func BenchmarkLakehouseHistory200x1000(b *testing.B) {
	sets := historySets(b, 200, 1, 1000)
	var yml strings.Builder
	yml.WriteString("version: v1\nmodule: bench/module\nsubjects:\n")
	for f := range 200 {
		for m := range 1 {
			fmt.Fprintf(&yml, "  - {message: bench.v1.M%d_%d, kind: event}\n", f, m)
		}
	}
	cfg, err := config.Parse("pbregistry.yaml", []byte(yml.String()))
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, decoder func() func([]byte) (dbt.Messages, error)) {
		for b.Loop() {
			dec := decoder()
			var history []dbt.Messages
			for _, data := range sets {
				m, err := dec(data)
				if err != nil {
					b.Fatal(err)
				}
				history = append(history, m)
			}
			n := len(history) - 1
			p, err := dbt.NewProjectFrom(cfg, history[n], history[:n], dbt.Postgres, dbt.ModuleOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := dbt.Generate(*p); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("shared", func(b *testing.B) {
		run(b, func() func([]byte) (dbt.Messages, error) {
			dec := newHistoryDecoder()
			return func(data []byte) (dbt.Messages, error) { return dec.messagesOf(data) }
		})
	})
	b.Run("separate", func(b *testing.B) {
		run(b, func() func([]byte) (dbt.Messages, error) {
			return func(data []byte) (dbt.Messages, error) {
				img, err := image.DecodeWithLimits(data, image.StoredLimits)
				if err != nil {
					return nil, err
				}
				return image.NewIndex(img), nil
			}
		})
	})
}
