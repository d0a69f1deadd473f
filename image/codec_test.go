package image

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const fixtures = "../testdata/input/image"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

type fileView struct {
	Path     string
	IsImport bool
}

func views(img *Image) []fileView {
	var out []fileView
	for _, f := range img.Files() {
		out = append(out, fileView{f.Path(), f.IsImport})
	}
	return out
}

func TestDecodeBufImages(t *testing.T) {
	all := []fileView{{"acme/v1/money.proto", false}, {"google/protobuf/timestamp.proto", true}, {"acme/v1/order.proto", false}}
	tests := []struct {
		name   string
		decode func([]byte) (*Image, error)
		want   []fileView
	}{
		{"order.binpb", Decode, all},
		{"order.json", DecodeJSON, all},
		{"order_only.binpb", Decode, []fileView{{"acme/v1/money.proto", true}, {"google/protobuf/timestamp.proto", true}, {"acme/v1/order.proto", false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := tt.decode(readFixture(t, tt.name))
			if err != nil {
				t.Fatal(err)
			}
			got := views(img)
			// buf's order is one valid topological order; compare as sets
			// and check the order separately.
			slices.SortFunc(got, func(a, b fileView) int { return strings.Compare(a.Path, b.Path) })
			want := slices.Clone(tt.want)
			slices.SortFunc(want, func(a, b fileView) int { return strings.Compare(a.Path, b.Path) })
			if !slices.Equal(got, want) {
				t.Errorf("files = %v, want %v", got, want)
			}
			checkOrder(t, img)
			order := img.File("acme/v1/order.proto")
			if msg := order.Descriptor.Messages().ByName("Order"); msg == nil || msg.Fields().ByName("total").Message().FullName() != "acme.v1.Money" {
				t.Errorf("Order not linked: %v", msg)
			}
			if loc := order.Descriptor.SourceLocations().ByDescriptor(order.Descriptor.Messages().Get(0)); loc.StartLine != 8 {
				t.Errorf("source info lost: %+v", loc)
			}
		})
	}
}

// checkOrder checks that every file comes after its imports.
func checkOrder(t *testing.T, img *Image) {
	t.Helper()
	seen := map[string]bool{}
	for _, f := range img.Files() {
		imports := f.Descriptor.Imports()
		for i := 0; i < imports.Len(); i++ {
			if !seen[imports.Get(i).Path()] {
				t.Errorf("%s comes before its import %s", f.Path(), imports.Get(i).Path())
			}
		}
		seen[f.Path()] = true
	}
}

// testSet returns a FileDescriptorSet whose files are NOT in dependency
// order: a.proto imports b.proto which imports timestamp.proto.
func testSet(t testing.TB) *descriptorpb.FileDescriptorSet {
	ts := protodesc.ToFileDescriptorProto(timestamppb.File_google_protobuf_timestamp_proto)
	b := &descriptorpb.FileDescriptorProto{
		Name: proto.String("b.proto"), Package: proto.String("p"), Syntax: proto.String("proto3"),
		Dependency: []string{"google/protobuf/timestamp.proto"},
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("B"), Field: []*descriptorpb.FieldDescriptorProto{{
			Name: proto.String("t"), Number: proto.Int32(1), JsonName: proto.String("t"),
			Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(),
			TypeName: proto.String(".google.protobuf.Timestamp"),
		}}}},
	}
	a := &descriptorpb.FileDescriptorProto{
		Name: proto.String("a.proto"), Package: proto.String("p"), Syntax: proto.String("proto3"),
		Dependency: []string{"b.proto"},
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("A"), Field: []*descriptorpb.FieldDescriptorProto{{
			Name: proto.String("b"), Number: proto.Int32(1), JsonName: proto.String("b"),
			Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(),
			TypeName: proto.String(".p.B"),
		}}}},
	}
	return &descriptorpb.FileDescriptorSet{File: []*descriptorpb.FileDescriptorProto{a, b, ts}}
}

func TestDecodeUnsortedPlainSet(t *testing.T) {
	data, err := proto.Marshal(testSet(t))
	if err != nil {
		t.Fatal(err)
	}
	img, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []fileView{{"google/protobuf/timestamp.proto", false}, {"b.proto", false}, {"a.proto", false}}
	if got := views(img); !slices.Equal(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	set := func(mutate func(*descriptorpb.FileDescriptorSet)) []byte {
		s := testSet(t)
		mutate(s)
		data, err := proto.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	tests := []struct {
		name string
		data []byte
		json bool
		want string
	}{
		{"missing import", set(func(s *descriptorpb.FileDescriptorSet) { s.File = s.File[:2] }),
			false, `image: file "b.proto": imports "google/protobuf/timestamp.proto", which is not in the image`},
		{"duplicate", set(func(s *descriptorpb.FileDescriptorSet) { s.File = append(s.File, s.File[0]) }),
			false, `image: file "a.proto": appears twice`},
		{"cycle", set(func(s *descriptorpb.FileDescriptorSet) {
			s.File[1].Dependency = append(s.File[1].Dependency, "a.proto")
		}), false, `is part of an import cycle`},
		{"unresolved type", set(func(s *descriptorpb.FileDescriptorSet) {
			s.File[0].MessageType[0].Field[0].TypeName = proto.String(".p.Nope")
		}), false, `image: file "a.proto": `},
		{"empty", nil, false, "image: the image contains no files"},
		{"garbage", []byte("\xff\xff\xff"), false, "image: not a serialized FileDescriptorSet or buf image"},
		{"bad json", []byte("{"), true, "image: not a JSON FileDescriptorSet or buf image"},
		{"json unknown field", []byte(`{"file":[{"name":"a.proto","nope":1}]}`), true, `image: file "a.proto": file #1 is not a FileDescriptorProto`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			decode := Decode
			if tt.json {
				decode = DecodeJSON
			}
			img, err := decode(tt.data)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Decode = %v, %v; want a *DecodeError", img, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	img, err := Decode(readFixture(t, "order_only.binpb"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := img.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := views(back), views(img); !slices.Equal(got, want) {
		t.Errorf("round trip = %v, want %v", got, want)
	}
	// Each encoded file carries buf's extension with is_import.
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(data, &set); err != nil {
		t.Fatal(err)
	}
	for _, fd := range set.File {
		unknown := fd.ProtoReflect().GetUnknown()
		num, typ, n := protowire.ConsumeTag(unknown)
		if n < 0 || num != bufExtensionField || typ != protowire.BytesType {
			t.Errorf("%s: no buf extension in %x", fd.GetName(), unknown)
		}
	}
}

// TestEncodeAcceptedByBuf runs the real buf on Encode's output when
// PBREGISTRY_BUF names it (scripts/test sets it).
func TestEncodeAcceptedByBuf(t *testing.T) {
	buf := os.Getenv("PBREGISTRY_BUF")
	if buf == "" {
		t.Skip("PBREGISTRY_BUF not set")
	}
	img, err := Decode(readFixture(t, "order_only.binpb"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := img.Encode()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "x.binpb")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(buf, "build", p, "-o", filepath.Join(dir, "y.json")).CombinedOutput()
	if err != nil {
		t.Fatalf("buf build: %v\n%s", err, out)
	}
	y, err := DecodeJSON(mustRead(t, filepath.Join(dir, "y.json")))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := views(y), views(img); !slices.Equal(got, want) {
		t.Errorf("buf read %v, want %v", got, want)
	}
	cmd := exec.Command(buf, "breaking", p, "--against", p)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("buf breaking: %v\n%s", err, out)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzDecode(f *testing.F) {
	for _, name := range []string{"order.binpb", "order_only.binpb"} {
		f.Add(readFixture(f, name))
	}
	if data, err := proto.Marshal(testSet(f)); err == nil {
		f.Add(data)
	}
	if data, err := proto.Marshal(edition2024Set(f)); err == nil {
		f.Add(data) // Edition 2024: import option, export and local
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := Decode(data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || err.Error() == "" {
				t.Fatalf("error %v is not a *DecodeError", err)
			}
			return
		}
		if len(img.Files()) == 0 {
			t.Fatal("no error and no files")
		}
		checkOrder(t, img)
		if _, err := img.Encode(); err != nil {
			t.Fatalf("decoded image does not encode: %v", err)
		}
	})
}
