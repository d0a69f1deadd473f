package input

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzCompile compiles arbitrary bytes as a .proto file: it must never
// panic, and yields either diagnostics or an image.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{aProto, bProto, cProto,
		"syntax = \"proto2\";\nmessage M { optional group G = 1 { optional int32 a = 2; } extensions 100 to max; }\nextend M { optional string e = 100; }\n",
		"edition = \"2023\";\npackage p;\nmessage M { int32 a = 1 [features.field_presence = IMPLICIT]; }\nservice S { rpc R(M) returns (stream M); }\n",
		"syntax = \"proto3\";\nenum E { option allow_alias = true; A = 0; B = 0; }\nmessage M { map<string, E> m = 1; oneof o { int32 x = 2; } reserved 3 to 5; reserved \"y\"; }\n",
		"\ufeff// c\nedition = \"20\" '24';\npackage p;\nimport option \"google/protobuf/cpp_features.proto\";\nexport message M { local message N {} }\n",
		"edition = \"\\x32023\";\npackage p;\n", "edition = '", "edition =",
		"", "syntax", "message {", "\x00\xff",
	} {
		f.Add([]byte(s))
	}
	for _, s := range deepSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "fuzz.proto"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		in, err := Load(context.Background(), "fuzz.proto", Options{Dir: dir})
		if err != nil {
			var ce *CompileError
			if errors.As(err, &ce) {
				if len(ce.Diagnostics) == 0 {
					t.Fatal("CompileError without diagnostics")
				}
				return
			}
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if in.Image.File("fuzz.proto") == nil {
			t.Fatal("no error and no fuzz.proto in the image")
		}
	})
}

// FuzzLoadFS loads an in-memory tree of arbitrary bytes as the registry
// loads a push: a pbregistry.yaml and a .proto file. It must never panic,
// and yields either an error that says something or an input.
func FuzzLoadFS(f *testing.F) {
	for _, seed := range [][2]string{
		{"version: v1\nmodule: acme/commerce\nsubjects:\n  - message: a.v1.M\n    kind: pbtable\n    primary_key: [id]\n", aProto},
		{"version: v1\nroots: [proto]\nbreaking:\n  use: [WIRE]\n  compatibility: FULL_TRANSITIVE\n", bProto},
		{"version: v1\npolicies:\n  - {name: X, target: field, expr: 'field.name != \"\"'}\n", cProto},
		{"version: v2\n", ""}, {"", "syntax = \"proto3\";"}, {"version: [", "message {"},
	} {
		f.Add([]byte(seed[0]), []byte(seed[1]))
	}
	for _, s := range deepSeeds() {
		f.Add([]byte("version: v1\n"), []byte(s))
	}
	probe, _, _ := deepValue(8000, DefaultMaxOptionValueDepth)
	f.Add([]byte("version: v1\nmodule: acme/probe\n"), []byte(probe))
	f.Fuzz(func(t *testing.T, config, proto []byte) {
		fsys := fstest.MapFS{
			"pbregistry.yaml":    {Data: config},
			"proto/a/v1/a.proto": {Data: proto},
		}
		in, err := LoadFS(context.Background(), fsys, "fuzz")
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if in == nil || in.Image == nil {
			t.Fatal("no error and no image")
		}
	})
}
