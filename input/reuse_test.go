package input

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
)

// An input loaded with Reuse is the image a load on its own gives —
// same files, order, import flags, display paths and descriptors, source
// info included — whichever of its files it took from the reused input.
func TestReuseMatchesSeparateLoad(t *testing.T) {
	fixtures, err := filepath.Glob("../testdata/breaking/*/current")
	if err != nil || len(fixtures) < 50 {
		t.Fatalf("rule fixtures under testdata/breaking: %d, %v", len(fixtures), err)
	}
	ctx := context.Background()
	sharedTotal := 0
	for _, cur := range fixtures {
		prev := filepath.Join(filepath.Dir(cur), "previous")
		t.Run(filepath.Base(filepath.Dir(cur)), func(t *testing.T) {
			current, err := Load(ctx, cur, Options{Reusable: true})
			if err != nil {
				t.Fatal(err)
			}
			alone, err := Load(ctx, prev, Options{})
			if err != nil {
				t.Fatal(err)
			}
			reused, err := Load(ctx, prev, Options{Reuse: func() *Input { return current }})
			if err != nil {
				t.Fatal(err)
			}
			if len(reused.Image.Files()) != len(alone.Image.Files()) {
				t.Fatalf("%d files with reuse, %d alone", len(reused.Image.Files()), len(alone.Image.Files()))
			}
			for i, f := range reused.Image.Files() {
				a := alone.Image.Files()[i]
				if f.Path() != a.Path() || f.IsImport != a.IsImport || f.ExternalPath != a.ExternalPath ||
					!proto.Equal(protodesc.ToFileDescriptorProto(f.Descriptor), protodesc.ToFileDescriptorProto(a.Descriptor)) {
					t.Errorf("file %d: %s with reuse differs from %s alone", i, f.Path(), a.Path())
				}
				if c := current.Image.File(f.Path()); c != nil && c.Descriptor == f.Descriptor && !f.IsImport {
					sharedTotal++
				}
			}
		})
	}
	if sharedTotal == 0 {
		t.Error("no fixture file was reused: the test no longer exercises Reuse")
	}
}

// Exactly the files identical on both sides with all their imports are
// reused: c.proto changes, so b.proto (importing it) and a.proto (importing
// b) are compiled again although their own source is the same; d.proto and
// e.proto (importing d) are taken as they are.
func TestReuseTakesIdenticalClosuresOnly(t *testing.T) {
	files := map[string]string{
		"a.proto": "syntax = \"proto3\";\npackage x;\nimport \"b.proto\";\nmessage A { B b = 1; }\n",
		"b.proto": "syntax = \"proto3\";\npackage x;\nimport \"c.proto\";\nmessage B { C c = 1; }\n",
		"c.proto": "syntax = \"proto3\";\npackage x;\nmessage C { int32 n = 1; }\n",
		"d.proto": "syntax = \"proto3\";\npackage x;\nimport \"google/protobuf/timestamp.proto\";\nmessage D { google.protobuf.Timestamp at = 1; }\n",
		"e.proto": "syntax = \"proto3\";\npackage x;\nimport \"d.proto\";\nmessage E { D d = 1; }\n",
	}
	dir := t.TempDir()
	for side, change := range map[string]string{"previous": "", "current": "  int64 m = 2;\n"} {
		for name, content := range files {
			if name == "c.proto" && change != "" {
				content = "syntax = \"proto3\";\npackage x;\nmessage C {\n  int32 n = 1;\n" + change + "}\n"
			}
			p := filepath.Join(dir, side, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx := context.Background()
	current, err := Load(ctx, filepath.Join(dir, "current"), Options{Reusable: true})
	if err != nil {
		t.Fatal(err)
	}
	previous, err := Load(ctx, filepath.Join(dir, "previous"), Options{Reuse: func() *Input { return current }})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"a.proto": false, "b.proto": false, "c.proto": false, "d.proto": true, "e.proto": true, "google/protobuf/timestamp.proto": true}
	for p, shared := range want {
		c, f := current.Image.File(p), previous.Image.File(p)
		if c == nil || f == nil {
			t.Fatalf("%s missing from an image", p)
		}
		if got := c.Descriptor == f.Descriptor; got != shared {
			t.Errorf("%s reused: %v, want %v", p, got, shared)
		}
	}
	if n := previous.Image.File("c.proto").Descriptor.Messages().ByName("C").Fields().Len(); n != 1 {
		t.Errorf("previous c.proto's C has %d fields, want its own 1", n)
	}
}
