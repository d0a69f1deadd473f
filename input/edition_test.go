package input

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/reporter"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/pbregistry/pbregistry/image"
)

// editionsFixtures is the Edition 2024 corpus and its Edition 2023 copy.
const editionsFixtures = "../testdata/editions"

// TestCheckEdition runs the edition scan on file heads: only an edition
// declaration at the start of the file counts, wherever comments, a byte
// order mark and blanks put it, and it is located at its keyword the way
// the compiler counts lines and columns.
func TestCheckEdition(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		edition   string // "" when the file is left to the compiler
		line, col int
		unknown   bool
	}{
		{"2023 compiles", "edition = \"2023\";\npackage a;\n", "", 0, 0, false},
		{"proto3", "syntax = \"proto3\";\n", "", 0, 0, false},
		{"no declaration", "package a;\n", "", 0, 0, false},
		{"2024", "edition = \"2024\";\n", "2024", 1, 1, false},
		{"no blanks", "edition=\"2024\";", "2024", 1, 1, false},
		{"single quotes", "edition = '2024';", "2024", 1, 1, false},
		{"joined literals", "edition = \"20\" '24';", "2024", 1, 1, false},
		{"escape", "edition = \"\\x32024\";", "2024", 1, 1, false},
		{"after comments", "// Copyright\n/* block\n */\n\n  edition = \"2024\";\n", "2024", 5, 3, false},
		{"after a tab", "\tedition = \"2024\";\n", "2024", 1, 9, false},
		{"after a byte order mark", "\xef\xbb\xbfedition = \"2024\";\n", "2024", 1, 1, false},
		{"unknown edition", "edition = \"2031\";\n", "2031", 1, 1, true},
		{"not an edition", "edition = \"proto3\";\n", "proto3", 1, 1, true},
		{"test-only edition", "edition = \"99997_TEST_ONLY\";\n", "99997_TEST_ONLY", 1, 1, true},
		{"commented out", "// edition = \"2024\";\nsyntax = \"proto3\";\n", "", 0, 0, false},
		{"in a string later", "syntax = \"proto3\";\noption go_package = \"edition = '2024'\";\n", "", 0, 0, false},
		{"identifier edition2024", "edition2024 = \"2024\";\n", "", 0, 0, false},
		{"unterminated", "edition = \"2024;\n", "", 0, 0, false},
		{"no value", "edition = 2024;\n", "", 0, 0, false},
		{"unterminated comment", "/* edition = \"2024\";", "", 0, 0, false},
		{"empty", "", "", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, bad := checkEdition("a.proto", []byte(tt.src))
			if tt.edition == "" {
				if bad {
					t.Fatalf("refused: %v", d)
				}
				return
			}
			if !bad {
				t.Fatal("not refused")
			}
			if d.Path != "a.proto" || d.Line != tt.line || d.Col != tt.col {
				t.Errorf("at %s:%d:%d, want a.proto:%d:%d", d.Path, d.Line, d.Col, tt.line, tt.col)
			}
			for _, want := range []string{`edition "` + tt.edition + `"`, "parses editions up to 2023", "buf build -o image.binpb", "protoc` ≥ v32", "--include_imports --include_source_info --descriptor_set_out", "pass the image instead"} {
				if !strings.Contains(d.Message, want) {
					t.Errorf("message %q lacks %q", d.Message, want)
				}
			}
			if got := strings.Contains(d.Message, "not a protobuf edition known here"); got != tt.unknown {
				t.Errorf("message %q: says unknown %t, want %t", d.Message, got, tt.unknown)
			}
		})
	}
}

// TestCompilerEditions checks CompilerEditions against the compiler
// itself: each edition protobuf knows is compiled, and exactly the
// editions of the list must compile. When protocompile is upgraded to a
// release that parses Edition 2024, this test fails until "2024" joins
// CompilerEditions (see testdata/editions/README.md for what to flip).
func TestCompilerEditions(t *testing.T) {
	gomod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if want := "github.com/bufbuild/protocompile " + compilerVersion + "\n"; !strings.Contains(string(gomod), want) {
		t.Errorf("go.mod does not require %q: set compilerVersion to the version go.mod requires", strings.TrimSpace(want))
	}
	var accepted []string
	for name := range descriptorpb.Edition_value {
		edition, ok := strings.CutPrefix(name, "EDITION_")
		if !ok || edition == "MAX" || edition == "UNKNOWN" || edition == "LEGACY" || edition == "PROTO2" || edition == "PROTO3" {
			continue
		}
		src := "edition = \"" + edition + "\";\npackage p;\nmessage M { string s = 1; }\n"
		c := protocompile.Compiler{
			Resolver: protocompile.WithStandardImports(protocompile.ResolverFunc(func(name string) (protocompile.SearchResult, error) {
				if name != "p.proto" {
					return protocompile.SearchResult{}, fs.ErrNotExist
				}
				return protocompile.SearchResult{Source: strings.NewReader(src)}, nil
			})),
			Reporter: reporter.NewReporter(func(reporter.ErrorWithPos) error { return nil }, nil),
		}
		if _, err := c.Compile(context.Background(), "p.proto"); err == nil {
			accepted = append(accepted, edition)
		}
	}
	slices.Sort(accepted)
	if !slices.Equal(accepted, CompilerEditions) {
		t.Errorf("protocompile %s compiles editions %v; CompilerEditions = %v: update CompilerEditions and flip the Edition 2024 source tests", compilerVersion, accepted, CompilerEditions)
	}
	for _, e := range CompilerEditions {
		if !slices.Contains(ImageEditions, e) {
			t.Errorf("the compiler's edition %s is not in ImageEditions %v", e, ImageEditions)
		}
	}
}

// editionFiles returns the .proto files under dir, relative to it.
func editionFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".proto") {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestEdition2024OneErrorPerFile loads the Edition 2024 fixtures as
// sources, as a directory (pbcheck) and as an in-memory tree (a push):
// each file gets exactly one diagnostic, at its edition declaration, and
// no syntax errors. The Edition 2023 copy compiles.
func TestEdition2024OneErrorPerFile(t *testing.T) {
	for _, side := range []string{"before", "after"} {
		dir := filepath.Join(editionsFixtures, "2024", side)
		files := editionFiles(t, dir)
		mfs := fstest.MapFS{}
		for _, f := range append(files, "buf.yaml") {
			data, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			mfs[f] = &fstest.MapFile{Data: data}
		}
		loads := map[string]func() error{
			"dir": func() error {
				_, err := Load(context.Background(), side, Options{Dir: filepath.Dir(dir)})
				return err
			},
			"push": func() error {
				_, err := LoadFS(context.Background(), mfs, "push acme")
				return err
			},
		}
		for name, load := range loads {
			t.Run(side+"/"+name, func(t *testing.T) {
				err := load()
				var ce *CompileError
				if !errors.As(err, &ce) {
					t.Fatalf("error = %v, want a *CompileError", err)
				}
				var got []string
				for _, d := range ce.Diagnostics {
					p := strings.TrimPrefix(d.Path, side+"/")
					got = append(got, p)
					if d.Line != 1 || d.Col != 1 || !strings.Contains(d.Message, `edition "2024" cannot be compiled here: the built-in compiler (protocompile v`) {
						t.Errorf("diagnostic %s", d)
					}
				}
				if !slices.Equal(got, files) {
					t.Errorf("diagnostics for %v, want one for each of %v:\n%s", got, files, err)
				}
			})
		}
	}
	for _, side := range []string{"before", "after"} {
		if _, err := Load(context.Background(), side, Options{Dir: filepath.Join(editionsFixtures, "2023")}); err != nil {
			t.Errorf("Edition 2023 copy, %s: %v", side, err)
		}
	}
}

// TestEdition2024Import: a 2023 file importing a 2024 one gets no error
// of its own; the imported file gets its one diagnostic, whether it is an
// input file or only read as an import (--path).
func TestEdition2024Import(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"m/a/v1/a.proto": "edition = \"2023\";\npackage a.v1;\nimport \"b/v1/b.proto\";\nmessage A { b.v1.B b = 1; }\n",
		"m/b/v1/b.proto": "// B, in Edition 2024.\nedition = \"2024\";\npackage b.v1;\nexport message B { string s = 1; }\n",
	})
	for _, paths := range [][]string{nil, {"m/a"}} {
		_, err := Load(context.Background(), "m", Options{Dir: root, Paths: paths})
		var ce *CompileError
		if !errors.As(err, &ce) || len(ce.Diagnostics) != 1 {
			t.Fatalf("--path %v: error = %v, want one diagnostic", paths, err)
		}
		if d := ce.Diagnostics[0]; d.Path != "m/b/v1/b.proto" || d.Line != 2 || d.Col != 1 {
			t.Errorf("--path %v: diagnostic %s, want it at m/b/v1/b.proto:2:1", paths, d)
		}
	}
}

// TestImageInputBounded: an image input is read, and decompressed, no
// further than the image size limit — a 64 KiB gzip file expanding to
// 64 MiB is refused at 1 MiB — and the Edition 2024 fixture images load
// from a file and from stdin, within limits that fit them.
func TestImageInputBounded(t *testing.T) {
	root := t.TempDir()
	var bomb bytes.Buffer
	zw, err := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for range 64 {
		if _, err := zw.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bomb.binpb.gz"), bomb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	limits := image.Limits{MaxBytes: 1 << 20}
	for _, ref := range []string{"bomb.binpb.gz", "-#format=binpb,compression=gzip"} {
		var alloc uint64
		var err error
		alloc = allocated(func() {
			_, err = Load(context.Background(), ref, Options{Dir: root, Stdin: bytes.NewReader(bomb.Bytes()), ImageLimits: limits})
		})
		if err == nil || !strings.Contains(err.Error(), "the image is larger than 1048576 bytes, the limit") {
			t.Errorf("%s: error = %v, want the size limit", ref, err)
		}
		t.Logf("%s: %d compressed bytes expanding to 64 MiB refused after allocating %d bytes", ref, bomb.Len(), alloc)
		if alloc > 8<<20 {
			t.Errorf("%s: allocated %d bytes to refuse it, want under 8 MiB", ref, alloc)
		}
	}
	fixture := filepath.Join(editionsFixtures, "2024")
	gz, err := os.ReadFile(filepath.Join(fixture, "after.binpb.gz"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"after.binpb.gz", "-#format=binpb,compression=gzip"} {
		in, err := Load(context.Background(), ref, Options{Dir: fixture, Stdin: bytes.NewReader(gz)})
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		var got []string
		for _, f := range in.Modules[0].Files {
			got = append(got, f.Path())
		}
		slices.Sort(got)
		if want := editionFiles(t, filepath.Join(fixture, "after")); !slices.Equal(got, want) {
			t.Errorf("%s: input files %v, want %v", ref, got, want)
		}
	}
	_, err = Load(context.Background(), "after.binpb.gz", Options{Dir: fixture, ImageLimits: image.Limits{MaxSourceLocations: 100}})
	if err == nil || !strings.Contains(err.Error(), "source locations, the limit") {
		t.Errorf("source location limit: %v", err)
	}
}
