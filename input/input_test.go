package input

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/compat"
	"github.com/pbregistry/pbregistry/image"
)

// writeTree writes files (slash path → content) under root.
func writeTree(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// run runs a command in dir and fails the test on error.
func run(t testing.TB, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return strings.TrimSpace(string(out))
}

const (
	aProto = `syntax = "proto3";
package acme.v1;
import "google/protobuf/timestamp.proto";
import "acme/v1/b.proto";
message A { int32 x = 1; google.protobuf.Timestamp t = 2; B b = 3; }
`
	bProto = `syntax = "proto3";
package acme.v1;
message B { string s = 1; }
`
	cProto = `syntax = "proto3";
package acme.v1;
message C { string s = 1; }
`
)

// fileView is what a test checks of an image file.
type fileView struct {
	Path, External string
	IsImport       bool
}

// viewOf returns the files of img sorted by path, after checking that
// the image lists every file after its imports.
func viewOf(t testing.TB, img *image.Image) []fileView {
	t.Helper()
	var out []fileView
	seen := map[string]bool{}
	for _, f := range img.Files() {
		imports := f.Descriptor.Imports()
		for i := 0; i < imports.Len(); i++ {
			if !seen[imports.Get(i).Path()] {
				t.Errorf("%s is listed before its import %s", f.Path(), imports.Get(i).Path())
			}
		}
		seen[f.Path()] = true
		out = append(out, fileView{f.Path(), f.ExternalPath, f.IsImport})
	}
	slices.SortFunc(out, func(a, b fileView) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// sortedViews sorts views by path.
func sortedViews(v []fileView) []fileView {
	v = slices.Clone(v)
	slices.SortFunc(v, func(a, b fileView) int { return strings.Compare(a.Path, b.Path) })
	return v
}

// TestExternalPaths checks ExternalPath against what buf v1.75.0 prints
// for the same input (observed with `buf breaking` and `buf build`).
func TestExternalPaths(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"curr/acme/v1/a.proto":        aProto,
		"curr/acme/v1/b.proto":        bProto,
		"v2/buf.yaml":                 "version: v2\nmodules:\n  - path: proto\n",
		"v2/proto/acme/v1/a.proto":    aProto,
		"v2/proto/acme/v1/b.proto":    bProto,
		"ws/buf.work.yaml":            "version: v1\ndirectories: [a, b]\n",
		"ws/a/acme/v1/a.proto":        aProto,
		"ws/b/acme/v1/b.proto":        bProto,
		"ws/b/buf.yaml":               "version: v1\nbreaking:\n  use: [WIRE]\n",
		"pbr/pbregistry.yaml":         "version: v1\nmodule: acme/x\nroots: [src]\n",
		"pbr/src/acme/v1/a.proto":     aProto,
		"pbr/src/acme/v1/b.proto":     bProto,
		"pbr/other/ignored/c.proto":   cProto,
		"v2/proto/acme/v1/extra.jpeg": "not proto",
	})
	abs := filepath.Join(root, "curr")
	ts := fileView{"google/protobuf/timestamp.proto", "", true}
	tests := []struct {
		name, dir, ref string
		want           []fileView
	}{
		{"dir", "", "curr", []fileView{ts, {"acme/v1/b.proto", "curr/acme/v1/b.proto", false}, {"acme/v1/a.proto", "curr/acme/v1/a.proto", false}}},
		{"dir dot slash", "", "./curr/", []fileView{ts, {"acme/v1/b.proto", "curr/acme/v1/b.proto", false}, {"acme/v1/a.proto", "curr/acme/v1/a.proto", false}}},
		{"dir from below", "curr/acme", "../../curr", []fileView{ts, {"acme/v1/b.proto", "../acme/v1/b.proto", false}, {"acme/v1/a.proto", "../acme/v1/a.proto", false}}},
		{"dir absolute", "", abs, []fileView{ts, {"acme/v1/b.proto", filepath.ToSlash(abs) + "/acme/v1/b.proto", false}, {"acme/v1/a.proto", filepath.ToSlash(abs) + "/acme/v1/a.proto", false}}},
		{"dir cwd", "curr", ".", []fileView{ts, {"acme/v1/b.proto", "acme/v1/b.proto", false}, {"acme/v1/a.proto", "acme/v1/a.proto", false}}},
		{"v2 module path", "v2", ".", []fileView{ts, {"acme/v1/b.proto", "proto/acme/v1/b.proto", false}, {"acme/v1/a.proto", "proto/acme/v1/a.proto", false}}},
		{"v2 module path from parent", "", "v2", []fileView{ts, {"acme/v1/b.proto", "v2/proto/acme/v1/b.proto", false}, {"acme/v1/a.proto", "v2/proto/acme/v1/a.proto", false}}},
		// A module directory of an enclosing workspace, given as the input,
		// takes the workspace's configuration for that module (buf does).
		{"module of enclosing v2 workspace", "", "v2/proto", []fileView{ts, {"acme/v1/b.proto", "v2/proto/acme/v1/b.proto", false}, {"acme/v1/a.proto", "v2/proto/acme/v1/a.proto", false}}},
		{"buf.work.yaml", "", "ws", []fileView{ts, {"acme/v1/b.proto", "ws/b/acme/v1/b.proto", false}, {"acme/v1/a.proto", "ws/a/acme/v1/a.proto", false}}},
		{"pbregistry roots", "", "pbr", []fileView{ts, {"acme/v1/b.proto", "pbr/src/acme/v1/b.proto", false}, {"acme/v1/a.proto", "pbr/src/acme/v1/a.proto", false}}},
		// A single file without configuration: its directory is the root,
		// so its path is its base name and its imports do not resolve
		// unless they are next to it.
		{"protofile no config", "curr/acme/v1", "b.proto", []fileView{{"b.proto", "b.proto", false}}},
		{"protofile no config below", "", "curr/acme/v1/b.proto", []fileView{{"b.proto", "curr/acme/v1/b.proto", false}}},
		{"protofile in v2 module", "v2", "proto/acme/v1/a.proto", []fileView{ts, {"acme/v1/b.proto", "proto/acme/v1/b.proto", true}, {"acme/v1/a.proto", "proto/acme/v1/a.proto", false}}},
		{"protofile in workspace", "ws", "a/acme/v1/a.proto", []fileView{ts, {"acme/v1/b.proto", "b/acme/v1/b.proto", true}, {"acme/v1/a.proto", "a/acme/v1/a.proto", false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := Load(context.Background(), tt.ref, Options{Dir: filepath.Join(root, tt.dir)})
			if err != nil {
				t.Fatal(err)
			}
			if got := viewOf(t, in.Image); !reflect.DeepEqual(got, sortedViews(tt.want)) {
				t.Errorf("files:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestWorkspaceModules(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"buf.yaml": `version: v2
modules:
  - path: a
    breaking:
      use: [WIRE]
  - path: b
    excludes: [b/tmp]
breaking:
  use: [FILE]
  ignore: [a/acme/v1/a.proto, b/acme/v1/c.proto]
`,
		"a/acme/v1/a.proto":  aProto,
		"b/acme/v1/b.proto":  bProto,
		"b/acme/v1/c.proto":  cProto,
		"b/tmp/broken.proto": "this is not protobuf",
	})
	in, err := Load(context.Background(), ".", Options{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	type mod struct {
		Root     string
		Files    []string
		Breaking compat.Config
	}
	var got []mod
	for _, m := range in.Modules {
		var files []string
		for _, f := range m.Files {
			files = append(files, f.DisplayPath())
		}
		got = append(got, mod{m.Root, files, m.Breaking})
	}
	want := []mod{
		{"a", []string{"a/acme/v1/a.proto"}, compat.Config{Version: "v2", Use: []string{"WIRE"}}},
		{"b", []string{"b/acme/v1/b.proto", "b/acme/v1/c.proto"}, compat.Config{Version: "v2", Use: []string{"FILE"}, Ignore: []string{"acme/v1/c.proto"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("modules:\n got %+v\nwant %+v", got, want)
	}
	if in.Config == nil || len(in.Config.Files) != 1 {
		t.Errorf("config = %+v", in.Config)
	}
}

// TestPaths checks --path and --exclude-path on directories and images
// (behaviour observed with buf build and buf breaking).
func TestPaths(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"curr/acme/v1/a.proto":   aProto,
		"curr/acme/v1/b.proto":   bProto,
		"curr/acme/v2/c.proto":   cProto,
		"curr/acme/v2/x/c.proto": strings.Replace(cProto, "acme.v1", "acme.v2.x", 1),
	})
	// An image of curr, written by our own encoder.
	full, err := Load(context.Background(), "curr", Options{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	data, err := full.Image.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "curr.binpb"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, ref       string
		paths, excludes []string
		wantInputs      []string // module-relative paths of input files
		wantImports     []string
		wantErr         string
	}{
		{"dir file", "curr", []string{"curr/acme/v1/a.proto"}, nil, []string{"acme/v1/a.proto"}, []string{"google/protobuf/timestamp.proto", "acme/v1/b.proto"}, ""},
		{"dir directory", "curr", []string{"curr/acme/v2"}, nil, []string{"acme/v2/c.proto", "acme/v2/x/c.proto"}, nil, ""},
		{"dir exclude", "curr", nil, []string{"curr/acme/v1/a.proto", "curr/acme/v2"}, []string{"acme/v1/b.proto"}, nil, ""},
		{"dir exclude inside path", "curr", []string{"curr/acme/v2"}, []string{"curr/acme/v2/x"}, []string{"acme/v2/c.proto"}, nil, ""},
		{"dir exclude outside input ignored", "curr", nil, []string{"prev/acme/v1/a.proto"}, []string{"acme/v1/a.proto", "acme/v1/b.proto", "acme/v2/c.proto", "acme/v2/x/c.proto"}, []string{"google/protobuf/timestamp.proto"}, ""},
		{"dir path relative to module fails", "curr", []string{"acme/v1/a.proto"}, nil, nil, nil, "--path acme/v1/a.proto is not inside input curr"},
		{"dir path matches nothing", "curr", []string{"curr/acme/v9"}, nil, nil, nil, "no .proto file matches --path/--exclude-path"},
		{"dir path is input", "curr", []string{"curr"}, nil, nil, nil, "is the input directory itself"},
		{"dir same path twice", "curr", []string{"curr/acme"}, []string{"curr/acme"}, nil, nil, "both as --path and --exclude-path"},
		{"image file", "curr.binpb", []string{"acme/v1/a.proto"}, nil, []string{"acme/v1/a.proto"}, []string{"google/protobuf/timestamp.proto", "acme/v1/b.proto"}, ""},
		{"image import made input", "curr.binpb", []string{"google/protobuf/timestamp.proto"}, nil, []string{"google/protobuf/timestamp.proto"}, nil, ""},
		{"image exclude", "curr.binpb", nil, []string{"acme/v2"}, []string{"acme/v1/b.proto", "acme/v1/a.proto"}, []string{"google/protobuf/timestamp.proto"}, ""},
		{"image cwd-relative path matches nothing", "curr.binpb", []string{"curr/acme/v1/a.proto"}, nil, nil, nil, "no file of the image matches"},
		{"protofile rejects paths", "curr/acme/v1/b.proto", []string{"x"}, nil, nil, nil, "cannot be used with a single .proto file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := Load(context.Background(), tt.ref, Options{Dir: root, Paths: tt.paths, ExcludePaths: tt.excludes})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var inputs, imports []string
			for _, f := range in.Image.Files() {
				if f.IsImport {
					imports = append(imports, f.Path())
				} else {
					inputs = append(inputs, f.Path())
				}
			}
			slices.Sort(inputs)
			slices.Sort(imports)
			want, wantImp := slices.Sorted(slices.Values(tt.wantInputs)), slices.Sorted(slices.Values(tt.wantImports))
			if !slices.Equal(inputs, want) || !slices.Equal(imports, wantImp) {
				t.Errorf("inputs %v imports %v; want %v and %v", inputs, imports, want, wantImp)
			}
		})
	}
}

func TestImages(t *testing.T) {
	root := t.TempDir()
	fixtures, err := filepath.Abs("../testdata/input/image")
	if err != nil {
		t.Fatal(err)
	}
	binpb, err := os.ReadFile(filepath.Join(fixtures, "order.binpb"))
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, root, map[string]string{
		"img.bin":    string(binpb),
		"img.pb":     string(binpb),
		"img.dat":    string(binpb),
		"buf.yaml":   "version: v1\nbreaking:\n  use: [WIRE_JSON]\n",
		"sub/x.json": "{}",
	})
	gz := gzipBytes(t, binpb)
	writeTree(t, root, map[string]string{"img.binpb.gz": string(gz)})
	want := []string{"acme/v1/money.proto", "acme/v1/order.proto"}
	tests := []struct {
		name, ref string
		stdin     []byte
	}{
		{"binpb", filepath.Join(fixtures, "order.binpb"), nil},
		{"json", filepath.Join(fixtures, "order.json"), nil},
		{"bin", "img.bin", nil},
		{"pb", "img.pb", nil},
		{"format override", "img.dat#format=binpb", nil},
		{"gzip", "img.binpb.gz", nil},
		{"stdin", "-", binpb},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{Dir: root}
			if tt.stdin != nil {
				opts.Stdin = strings.NewReader(string(tt.stdin))
			}
			in, err := Load(context.Background(), tt.ref, opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range in.Modules[0].Files {
				got = append(got, f.DisplayPath())
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("input files = %v, want %v", got, want)
			}
			// buf reads an image's breaking configuration from the working
			// directory.
			if b := in.Modules[0].Breaking; !reflect.DeepEqual(b, compat.Config{Version: "v1", Use: []string{"WIRE_JSON"}}) {
				t.Errorf("breaking = %+v", b)
			}
		})
	}
	// Without configuration in the working directory: buf's v1 default.
	in, err := Load(context.Background(), filepath.Join(fixtures, "order.binpb"), Options{Dir: filepath.Join(root, "sub")})
	if err != nil {
		t.Fatal(err)
	}
	if b := in.Modules[0].Breaking; !reflect.DeepEqual(b, compat.Config{Version: "v1"}) {
		t.Errorf("default breaking = %+v", b)
	}
	// --config overrides.
	in, err = Load(context.Background(), "img.bin", Options{Dir: root, Config: "version: v1\nmodule: acme/x\nbreaking:\n  compatibility: BACKWARD_TRANSITIVE\n"})
	if err != nil {
		t.Fatal(err)
	}
	if m := in.Modules[0]; m.Breaking.Level != compat.LevelBackward || !m.Transitive || m.Breaking.Version != "v2" {
		t.Errorf("override = %+v", m)
	}
}

func TestGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	root := t.TempDir()
	repo := filepath.Join(root, "repo")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) string { return run(t, repo, "git", args...) }
	git("init", "-q", "-b", "main")
	git("config", "user.name", "Test")
	git("config", "user.email", "test@example.com")
	git("config", "commit.gpgsign", "false")
	writeTree(t, repo, map[string]string{
		"buf.yaml":                 "version: v2\nmodules:\n  - path: proto\n",
		"proto/acme/v1/a.proto":    aProto,
		"proto/acme/v1/b.proto":    bProto,
		"plain/acme/v1/b.proto":    bProto,
		"plain/pbregistry.yaml":    "version: v1\nbreaking:\n  use: [WIRE]\n",
		"plain/acme/v1/old.proto":  cProto,
		"README.md":                "x",
		"proto/acme/v1/notes.json": "{}",
	})
	git("add", "-A")
	git("commit", "-q", "-m", "one")
	first := git("rev-parse", "HEAD")
	git("tag", "-a", "v1", "-m", "v1")
	if err := os.Remove(filepath.Join(repo, "plain/acme/v1/old.proto")); err != nil {
		t.Fatal(err)
	}
	writeTree(t, repo, map[string]string{"proto/acme/v1/c.proto": cProto})
	git("add", "-A")
	git("commit", "-q", "-m", "two")
	git("branch", "feature", first)
	// Uncommitted changes are not read.
	writeTree(t, repo, map[string]string{"proto/acme/v1/d.proto": "broken"})

	inputs := func(in *Input) []string {
		var out []string
		for _, f := range in.Image.InputFiles() {
			out = append(out, f.Path()+"="+f.ExternalPath)
		}
		slices.Sort(out)
		return out
	}
	latest := []string{"acme/v1/a.proto=proto/acme/v1/a.proto", "acme/v1/b.proto=proto/acme/v1/b.proto", "acme/v1/c.proto=proto/acme/v1/c.proto"}
	older := []string{"acme/v1/a.proto=proto/acme/v1/a.proto", "acme/v1/b.proto=proto/acme/v1/b.proto"}
	tests := []struct {
		name, dir, ref string
		want           []string
		wantErr        string
	}{
		{"head", "", "repo/.git", latest, ""},
		{"branch", "", "repo/.git#branch=main", latest, ""},
		{"other branch", "", "repo/.git#branch=feature", older, ""},
		{"annotated tag", "", "repo/.git#tag=v1", older, ""},
		{"ref full hash", "", "repo/.git#ref=" + first, older, ""},
		{"ref abbreviated hash", "", "repo/.git#ref=" + first[:8], older, ""},
		{"ref HEAD~1", "", "repo/.git#ref=HEAD~1", older, ""},
		{"ref relative to branch", "", "repo/.git#branch=main,ref=HEAD~1", older, ""},
		{"repo root with format", "", "repo#format=git", latest, ""},
		{"file url", "", "file://" + filepath.ToSlash(repo) + "/.git", latest, ""},
		{"from inside the repo", "repo/proto", "../.git#ref=HEAD~1", older, ""},
		{"subdir with config", "", "repo/.git#subdir=plain,ref=HEAD~1", []string{"acme/v1/b.proto=plain/acme/v1/b.proto", "acme/v1/old.proto=plain/acme/v1/old.proto"}, ""},
		// proto is a module of the repository's buf.yaml.
		{"subdir module of enclosing buf.yaml", "", "repo/.git#subdir=proto", []string{"acme/v1/a.proto=proto/acme/v1/a.proto", "acme/v1/b.proto=proto/acme/v1/b.proto", "acme/v1/c.proto=proto/acme/v1/c.proto"}, ""},
		{"bad branch", "", "repo/.git#branch=nope", nil, `cannot resolve branch nope in repo/.git`},
		{"bad ref", "", "repo/.git#ref=deadbeefdead", nil, `cannot resolve ref deadbeefdead`},
		{"bad subdir", "", "repo/.git#subdir=nope", nil, `subdir "nope" is not a directory`},
		{"not a repo", "", "repo/proto#format=git", nil, `is not a git repository`},
		{"missing", "", "nope/.git", nil, `git repository nope/.git not found`},
		{"tag and branch", "", "repo/.git#tag=v1,branch=main", nil, `tag cannot be combined with branch or ref`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := Load(context.Background(), tt.ref, Options{Dir: filepath.Join(root, tt.dir)})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := inputs(in); !slices.Equal(got, tt.want) {
				t.Errorf("inputs:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
	// The configuration at subdir is honoured.
	in, err := Load(context.Background(), "repo/.git#subdir=plain", Options{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	if b := in.Modules[0].Breaking; !reflect.DeepEqual(b.Use, []string{"WIRE"}) || b.Version != "v2" {
		t.Errorf("breaking = %+v", b)
	}
	// A subdir that is a module of the repository's buf.yaml v2 reads
	// with that file (v2 rules), not as an unconfigured directory (v1).
	in, err = Load(context.Background(), "repo/.git#subdir=proto", Options{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	if v := in.Modules[0].Breaking.Version; v != "v2" || in.Config == nil {
		t.Errorf("subdir module: version %q, config %v", v, in.Config)
	}
	// --path is relative to the subdir.
	in, err = Load(context.Background(), "repo/.git#subdir=proto", Options{Dir: root, Paths: []string{"acme/v1/c.proto"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := inputs(in); !slices.Equal(got, []string{"acme/v1/c.proto=proto/acme/v1/c.proto"}) {
		t.Errorf("--path on git: %v", got)
	}
}

func TestCompileErrors(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"m/acme/v1/a.proto": "syntax = \"proto3\";\npackage acme.v1;\nmessage A { int32 a = 1 }\n",
		"m/acme/v1/b.proto": "syntax = \"proto3\";\npackage acme.v1;\nimport \"nope.proto\";\nmessage B { Missing m = 1; }\n",
		"m/acme/v1/c.proto": "syntax = \"proto3\";\npackage acme.v1;\nmessage C { string s = 1; }\n",
	})
	_, err := Load(context.Background(), "m", Options{Dir: root})
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("error = %v, want *CompileError", err)
	}
	if len(ce.Diagnostics) < 2 {
		t.Fatalf("diagnostics = %v, want errors of both a.proto and b.proto", ce.Diagnostics)
	}
	lines := strings.Split(err.Error(), "\n")
	if !strings.HasPrefix(lines[0], "m/acme/v1/a.proto:3:") {
		t.Errorf("first line = %q", lines[0])
	}
	if !strings.Contains(err.Error(), "m/acme/v1/b.proto:3:8: ") {
		t.Errorf("missing import not reported at its import statement:\n%s", err)
	}
	for _, d := range ce.Diagnostics {
		if d.Path == "" || d.Line == 0 || d.Message == "" {
			t.Errorf("incomplete diagnostic %+v", d)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"empty/README.md":          "",
		"notes.txt":                "x",
		"dup/buf.yaml":             "version: v2\nmodules:\n  - path: a\n  - path: b\n",
		"dup/a/x.proto":            bProto,
		"dup/b/x.proto":            cProto,
		"outside/buf.yaml":         "version: v2\nmodules:\n  - path: proto\n",
		"outside/proto/ok.proto":   bProto,
		"outside/stray/x.proto":    cProto,
		"badcfg/buf.yaml":          "version: v2\nbreaking:\n  usee: [FILE]\n",
		"badcfg/x.proto":           bProto,
		"missingroot/buf.yaml":     "version: v2\nmodules:\n  - path: nope\n",
		"excluded/buf.yaml":        "version: v1\nbuild:\n  excludes: [tmp]\n",
		"excluded/tmp/x.proto":     bProto,
		"corrupt.binpb":            "\xff\xff\xff",
		"nodeps.json":              `{"file":[{"name":"a.proto","dependency":["b.proto"]}]}`,
		"outside/proto/sub/.keep":  "",
		"ref/acme/v1/a.proto":      aProto,
		"excluded/other/ok.proto":  bProto,
		"missingroot/x/y/z.proto":  bProto,
		"badcfg/sub/other.proto":   cProto,
		"outside/stray/also.proto": cProto,
	})
	tests := []struct{ name, ref, cfg, want string }{
		{"not found", "nope", "", `input "nope": nope does not exist`},
		{"plain file", "notes.txt", "", `notes.txt is a file but not a .proto file or an image`},
		{"no protos", "empty", "", `no .proto files found under empty`},
		{"duplicate path across roots", "dup", "", `dup/a/x.proto and dup/b/x.proto have the same path "x.proto"`},
		{"file outside roots", "outside/stray/x.proto", "", `is outside every module root of outside/buf.yaml (outside/proto)`},
		{"config error names file", "badcfg", "", `badcfg/buf.yaml:3:3: unknown key "usee" in breaking`},
		{"missing module root", "missingroot", "", `module root missingroot/nope does not exist`},
		{"excluded file", "excluded/tmp/x.proto", "", `is excluded from module excluded`},
		{"corrupt image", "corrupt.binpb", "", `input "corrupt.binpb": image: not a serialized FileDescriptorSet`},
		{"image missing dep", "nodeps.json", "", `image: file "a.proto": imports "b.proto", which is not in the image`},
		{"bad option", "ref#foo=bar", "", `unknown option "foo"`},
		{"bad format", "ref#format=tar", "", `unsupported format "tar"`},
		{"git option on dir", "ref#branch=main", "", `only valid for git inputs`},
		{"bad config override", "ref", "version: v1\nbreaking:\n  nope: []\n", `--config:3:3: unknown key "nope" in breaking`},
		{"missing config file", "ref", "nope.yaml", `--config nope.yaml: no such file`},
		{"unresolved import of a single file", "ref/acme/v1/a.proto", "", `ref/acme/v1/a.proto:4:8: `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := Load(context.Background(), tt.ref, Options{Dir: root, Config: tt.cfg})
			if err == nil {
				t.Fatalf("Load succeeded: %v", viewOf(t, in.Image))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n got %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestEnclosingModuleConfig(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"curr/buf.yaml":             "version: v2\nmodules:\n  - path: a\n    excludes: [a/tmp]\n    breaking:\n      use: [WIRE]\n",
		"curr/a/acme/v1/a.proto":    bProto,
		"curr/a/tmp/broken.proto":   "not protobuf",
		"curr/other/acme/x.proto":   cProto,
		"curr/other/acme/y/z.proto": bProto,
	})
	tests := []struct {
		dir, ref string
		want     []string // Use of the module's breaking config
		files    []string
	}{
		{"curr", "a", []string{"WIRE"}, []string{"a/acme/v1/a.proto"}},
		{"", "curr/a", []string{"WIRE"}, []string{"curr/a/acme/v1/a.proto"}},
		// Not a module of the enclosing buf.yaml: no configuration.
		{"curr", "other", nil, []string{"other/acme/x.proto", "other/acme/y/z.proto"}},
	}
	for _, tt := range tests {
		in, err := Load(context.Background(), tt.ref, Options{Dir: filepath.Join(root, tt.dir)})
		if err != nil {
			t.Fatalf("%s: %v", tt.ref, err)
		}
		var files []string
		for _, f := range in.Modules[0].Files {
			files = append(files, f.DisplayPath())
		}
		if !slices.Equal(in.Modules[0].Breaking.Use, tt.want) || !slices.Equal(files, tt.files) {
			t.Errorf("%s from %q: use %v files %v; want %v %v", tt.ref, tt.dir, in.Modules[0].Breaking.Use, files, tt.want, tt.files)
		}
	}
}
