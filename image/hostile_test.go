package image

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

// edition2024Set returns the Edition 2024 fixture image (built by buf
// from testdata/editions/2024/before) as a FileDescriptorSet.
func edition2024Set(t testing.TB) *descriptorpb.FileDescriptorSet {
	t.Helper()
	f, err := os.Open("../testdata/editions/2024/before.binpb.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(data, &set); err != nil {
		t.Fatal(err)
	}
	return &set
}

// fileOf returns the file of set named name.
func fileOf(t testing.TB, set *descriptorpb.FileDescriptorSet, name string) *descriptorpb.FileDescriptorProto {
	t.Helper()
	for _, f := range set.File {
		if f.GetName() == name {
			return f
		}
	}
	t.Fatalf("no file %s in the fixture", name)
	return nil
}

// TestDecodeEdition2024 decodes the buf-built Edition 2024 fixture: every
// file, its edition, and `import option` files ordered before the files
// that use them.
func TestDecodeEdition2024(t *testing.T) {
	data, err := proto.Marshal(edition2024Set(t))
	if err != nil {
		t.Fatal(err)
	}
	img, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	checkOrder(t, img)
	pos := map[string]int{}
	for i, f := range img.Files() {
		pos[f.Path()] = i
	}
	inv := img.File("acme/billing/v1/invoice.proto")
	if inv == nil || inv.IsImport || inv.Descriptor.Syntax().String() != "editions" {
		t.Fatalf("invoice.proto: %+v", inv)
	}
	for _, dep := range []string{"acme/options/v1/options.proto", "google/protobuf/cpp_features.proto"} {
		if p, ok := pos[dep]; !ok || p > pos["acme/billing/v1/invoice.proto"] {
			t.Errorf("option import %s at %d, invoice.proto at %d", dep, p, pos["acme/billing/v1/invoice.proto"])
		}
	}
}

// TestDecodeHostileImages: malformed or hostile images, each refused with
// a DecodeError naming the file at fault and what to do, never a panic
// or an exit.
func TestDecodeHostileImages(t *testing.T) {
	mutated := func(mutate func(*descriptorpb.FileDescriptorSet)) []byte {
		set := edition2024Set(t)
		mutate(set)
		data, err := proto.Marshal(set)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	edition := func(name string, e descriptorpb.Edition) []byte {
		return mutated(func(s *descriptorpb.FileDescriptorSet) {
			f := fileOf(t, s, "acme/billing/v1/invoice.proto")
			f.Name = proto.String(name)
			f.Edition = e.Enum()
		})
	}
	const inv = "acme/billing/v1/invoice.proto"
	tests := []struct {
		name string
		data []byte
		file string
		want string
	}{
		{"unknown edition number", edition(inv, descriptorpb.Edition(1100)), inv,
			"has edition number 1100, unknown to this build, which pbregistry cannot read: it reads proto2, proto3 and editions 2023, 2024; if the edition is newer, upgrade pbregistry"},
		{"unstable edition", edition(inv, descriptorpb.Edition_EDITION_UNSTABLE), inv, "has edition EDITION_UNSTABLE, which pbregistry cannot read"},
		// The Go runtime lets files under this path through its edition
		// check, then panics on an edition it has no defaults for.
		{"test-only edition where the runtime would exit", edition("cmd/protoc-gen-go/testdata/x.proto", descriptorpb.Edition_EDITION_99999_TEST_ONLY),
			"cmd/protoc-gen-go/testdata/x.proto", "has edition EDITION_99999_TEST_ONLY, which pbregistry cannot read"},
		{"edition of a syntax", edition(inv, descriptorpb.Edition_EDITION_PROTO3), inv, "has edition EDITION_PROTO3, which pbregistry cannot read"},
		{"editions without an edition", mutated(func(s *descriptorpb.FileDescriptorSet) { fileOf(t, s, inv).Edition = nil }), inv,
			`has syntax "editions" but no edition`},
		{"missing option import", mutated(func(s *descriptorpb.FileDescriptorSet) {
			fileOf(t, s, inv).OptionDependency = []string{"acme/options/v1/nope.proto"}
		}), inv, `imports "acme/options/v1/nope.proto" with import option, which is not in the image: build the image with its imports`},
		{"missing import", mutated(func(s *descriptorpb.FileDescriptorSet) {
			var kept []*descriptorpb.FileDescriptorProto
			for _, f := range s.File {
				if f.GetName() != "google/protobuf/descriptor.proto" {
					kept = append(kept, f)
				}
			}
			s.File = kept
		}), "", `imports "google/protobuf/descriptor.proto", which is not in the image: build the image with its imports (buf build includes them; protoc needs --include_imports)`},
		{"duplicate file", mutated(func(s *descriptorpb.FileDescriptorSet) {
			s.File = append(s.File, proto.Clone(fileOf(t, s, inv)).(*descriptorpb.FileDescriptorProto))
		}), inv, "appears twice: an image holds each file once"},
		{"option import cycle", mutated(func(s *descriptorpb.FileDescriptorSet) {
			f := fileOf(t, s, "acme/options/v1/options.proto")
			f.OptionDependency = append(f.OptionDependency, inv)
		}), "", "is part of an import cycle"},
		{"truncated", func() []byte { d := mutated(func(*descriptorpb.FileDescriptorSet) {}); return d[:len(d)/2] }(), "",
			"not a serialized FileDescriptorSet or buf image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Decode(tt.data)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Decode = %v, %v; want a *DecodeError", img, err)
			}
			if tt.file != "" && de.File != tt.file {
				t.Errorf("error names file %q, want %q: %v", de.File, tt.file, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// locationsImage returns a serialized image of one file whose source info
// holds n locations, written straight to the wire: a 4M-location image
// is 44 MB, which decoding and linking would blow up to 1.8 GB.
func locationsImage(n int) []byte {
	var loc []byte
	loc = protowire.AppendTag(loc, 1, protowire.BytesType) // path
	loc = protowire.AppendBytes(loc, []byte{4, 0})
	loc = protowire.AppendTag(loc, 2, protowire.BytesType) // span
	loc = protowire.AppendBytes(loc, []byte{1, 2, 3})
	var sci []byte
	for range n {
		sci = protowire.AppendTag(sci, sciLocationField, protowire.BytesType)
		sci = protowire.AppendBytes(sci, loc)
	}
	var file []byte
	file = protowire.AppendTag(file, 1, protowire.BytesType)
	file = protowire.AppendString(file, "huge.proto")
	file = protowire.AppendTag(file, 12, protowire.BytesType) // syntax
	file = protowire.AppendString(file, "proto3")
	file = protowire.AppendTag(file, fdpSourceCodeInfoField, protowire.BytesType)
	file = protowire.AppendBytes(file, sci)
	return protowire.AppendBytes(protowire.AppendTag(nil, fdsFileField, protowire.BytesType), file)
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestDecodeLimits: an image past a limit is refused by the scan before
// anything is decoded — the default source location limit refuses a 22 MB
// image of locations allocating next to nothing, where decoding it would
// take about 1 GB — and an image at each limit decodes.
func TestDecodeLimits(t *testing.T) {
	huge := locationsImage(DefaultLimits.MaxSourceLocations + 1)
	var err error
	alloc := allocated(func() { _, err = Decode(huge) })
	var de *DecodeError
	if !errors.As(err, &de) || de.File != "huge.proto" || !strings.Contains(err.Error(), "more than 2000000 source locations, the limit") {
		t.Fatalf("Decode of %d bytes = %v, want the source location limit", len(huge), err)
	}
	t.Logf("%d source locations, %d bytes: refused after allocating %d bytes", DefaultLimits.MaxSourceLocations+1, len(huge), alloc)
	if alloc > 1<<20 {
		t.Errorf("refusing the image allocated %d bytes, want under 1 MiB: the scan must not decode", alloc)
	}

	set := edition2024Set(t)
	data, err := proto.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	locations := 0
	for _, f := range set.File {
		locations += len(f.GetSourceCodeInfo().GetLocation())
	}
	jsonData, err := protojson.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		limits Limits
		json   bool
		want   string // "" when the image decodes
	}{
		{"at every limit", Limits{MaxBytes: len(data), MaxFiles: len(set.File), MaxSourceLocations: locations}, false, ""},
		{"bytes", Limits{MaxBytes: len(data) - 1}, false, "more than the limit of"},
		{"files", Limits{MaxFiles: len(set.File) - 1}, false, "files, the limit"},
		{"source locations", Limits{MaxSourceLocations: locations - 1}, false, "source locations, the limit"},
		{"no limits", Limits{MaxBytes: -1, MaxFiles: -1, MaxSourceLocations: -1}, false, ""},
		{"json at every limit", Limits{MaxBytes: len(jsonData), MaxFiles: len(set.File), MaxSourceLocations: locations}, true, ""},
		{"json bytes", Limits{MaxBytes: len(jsonData) - 1}, true, "more than the limit of"},
		{"json files", Limits{MaxFiles: len(set.File) - 1}, true, "files, the limit"},
		{"json source locations", Limits{MaxSourceLocations: locations - 1}, true, "source locations, the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var img *Image
			var err error
			if tt.json {
				img, err = DecodeJSONWithLimits(jsonData, tt.limits)
			} else {
				img, err = DecodeWithLimits(data, tt.limits)
			}
			switch {
			case tt.want == "" && err != nil:
				t.Fatal(err)
			case tt.want == "" && len(img.Files()) != len(set.File):
				t.Errorf("%d files, want %d", len(img.Files()), len(set.File))
			case tt.want != "" && (!errors.As(err, new(*DecodeError)) || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error = %v, want a DecodeError containing %q", err, tt.want)
			}
		})
	}
	// Malformed wire data past the scan is the decoder's to report.
	if _, err := Decode(append(bytes.Clone(data), 0xff)); err == nil || !strings.Contains(err.Error(), "not a serialized FileDescriptorSet") {
		t.Errorf("trailing garbage: %v", err)
	}
}
