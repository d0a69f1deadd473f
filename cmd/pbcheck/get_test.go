package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"connectrpc.com/connect"

	v1 "github.com/pbregistry/pbregistry/gen/pbregistry/v1"
	"github.com/pbregistry/pbregistry/gen/pbregistry/v1/pbregistryv1connect"
	"github.com/pbregistry/pbregistry/image"
)

// readTree returns the regular files under dir by slash-separated path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mustRun runs pbcheck in dir and fails the test unless it exits with
// want; it returns stdout and stderr together.
func mustRun(t *testing.T, dir string, want int, args ...string) string {
	t.Helper()
	code, stdout, stderr := pbcheck(t, dir, nil, args...)
	if code != want {
		t.Fatalf("pbcheck %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, stdout, stderr)
	}
	return stdout + stderr
}

// TestRegistryGet: pbcheck registry get --out writes what was pushed —
// the .proto files under their roots and pbregistry.yaml — so that the
// written module compiles and is the pushed schema (breaking against the
// original finds nothing; against the incompatible next version, it finds
// the change); a second get leaves identical files alone; a file changed
// locally refuses the whole get until --force; --image writes the
// descriptor set; @N picks a version.
func TestRegistryGet(t *testing.T) {
	t.Setenv(envRegistryURL, startRegistry(t))
	orig := registryModule(t, "int64")
	mustRun(t, orig, exitOK, "push")
	pushed := readTree(t, orig)
	delete(pushed, "README.md") // not part of a module
	work := t.TempDir()
	out := filepath.Join(work, "out", "nested")
	const protoPath = "proto/acme/billing/v1/invoice.proto"

	// A fresh directory: created, every file written.
	got := mustRun(t, work, exitOK, "registry", "get", "acme/commerce", "--out", out)
	for _, w := range []string{"acme/commerce@v1 (sha256:", "into " + out + ":\n",
		"  wrote     pbregistry.yaml (", "  wrote     " + protoPath + " ("} {
		if !strings.Contains(got, w) {
			t.Errorf("get does not say %q:\n%s", w, got)
		}
	}
	if tree := readTree(t, out); len(tree) != len(pushed) || tree[protoPath] != pushed[protoPath] || tree["pbregistry.yaml"] != pushed["pbregistry.yaml"] {
		t.Errorf("written files %v\nwant the pushed %v", tree, pushed)
	}
	// The written module compiles and is the pushed schema.
	mustRun(t, work, exitOK, "breaking", out, "--against", orig)
	mustRun(t, work, exitFindings, "breaking", registryModule(t, "string"), "--against", out)

	// Again: nothing to do.
	got = mustRun(t, work, exitOK, "registry", "get", "acme/commerce@1", "--out", out)
	if !strings.Contains(got, "  unchanged pbregistry.yaml") || !strings.Contains(got, "  unchanged "+protoPath) {
		t.Errorf("second get:\n%s", got)
	}

	// A local change refuses the whole get: the missing file is not
	// written either.
	if err := os.WriteFile(filepath.Join(out, "pbregistry.yaml"), []byte("version: v1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(out, filepath.FromSlash(protoPath))); err != nil {
		t.Fatal(err)
	}
	checkRun(t, work, []string{"registry", "get", "acme/commerce", "--out", out}, exitError, []string{
		"get acme/commerce@v1 into " + out + ": existing file pbregistry.yaml differs from the registry's: pass --force to replace it, or choose an empty --out; nothing was written"}, nil)
	if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(protoPath))); !os.IsNotExist(err) {
		t.Errorf("a refused get wrote %s: %v", protoPath, err)
	}
	got = mustRun(t, work, exitOK, "registry", "get", "acme/commerce", "--out", out, "--force")
	if !strings.Contains(got, "  replaced  pbregistry.yaml") || !strings.Contains(got, "  wrote     "+protoPath) {
		t.Errorf("get --force:\n%s", got)
	}
	if tree := readTree(t, out); tree["pbregistry.yaml"] != pushed["pbregistry.yaml"] || tree[protoPath] != pushed[protoPath] {
		t.Errorf("after --force: %v", tree)
	}

	// A compatible v2; @1 still gets v1, the default gets v2.
	v2 := registryModule(t, "int64")
	writeTree(t, v2, map[string]string{protoPath: strings.Replace(pushed[protoPath], "}\n", "  string note = 8;\n}\n", 1)})
	mustRun(t, v2, exitOK, "push")
	v1out, v2out := filepath.Join(work, "v1"), filepath.Join(work, "v2")
	mustRun(t, work, exitOK, "registry", "get", "acme/commerce@v1", "--out", v1out)
	mustRun(t, work, exitOK, "registry", "get", "acme/commerce", "--out", v2out)
	if a, b := readTree(t, v1out)[protoPath], readTree(t, v2out)[protoPath]; a != pushed[protoPath] || !strings.Contains(b, "note = 8") {
		t.Errorf("@v1 got %q, latest got %q", a, b)
	}

	// --image alone, then with --out: the descriptor set of the version.
	img := filepath.Join(work, "images", "v1.binpb")
	got = mustRun(t, work, exitOK, "registry", "get", "acme/commerce@1", "--image", img)
	if !strings.Contains(got, "wrote the FileDescriptorSet of acme/commerce@v1 to "+img+" (") {
		t.Errorf("get --image:\n%s", got)
	}
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	if decoded, err := image.Decode(data); err != nil || decoded.File("acme/billing/v1/invoice.proto") == nil {
		t.Errorf("the image does not decode to the module's file: %v", err)
	}
	mustRun(t, work, exitOK, "breaking", img, "--against", orig)
	checkRun(t, work, []string{"registry", "get", "acme/commerce", "--image", img}, exitError, []string{
		"--image " + img + " exists and differs from the registry's descriptor set: pass --force to replace it; nothing was written"}, nil)
	got = mustRun(t, work, exitOK, "registry", "get", "acme/commerce@1", "--image", img, "--out", v1out)
	if !strings.Contains(got, "unchanged the FileDescriptorSet of acme/commerce@v1") || !strings.Contains(got, "  unchanged "+protoPath) {
		t.Errorf("get --out --image, unchanged:\n%s", got)
	}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"neither --out nor --image", []string{"registry", "get", "acme/commerce"}, "get needs --out DIR (the .proto files and pbregistry.yaml) or --image FILE"},
		{"two modules", []string{"registry", "get", "acme/commerce", "acme/other", "--out", out}, "get takes one <module>[@<version>]"},
		{"bad version", []string{"registry", "get", "acme/commerce@x", "--out", out}, `version "x" is not a version number`},
		{"get flags elsewhere", []string{"registry", "show", "acme/commerce", "--out", out}, "--out, --image and --force apply to registry get only"},
		{"no such module", []string{"registry", "get", "acme/nothing", "--out", filepath.Join(work, "none")}, "not_found"},
		{"no such version", []string{"registry", "get", "acme/commerce@9", "--out", filepath.Join(work, "none")}, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkRun(t, work, tt.args, exitError, []string{tt.want}, nil) })
	}
	if _, err := os.Stat(filepath.Join(work, "none")); !os.IsNotExist(err) {
		t.Errorf("a failed get created its --out: %v", err)
	}
}

// TestRegistryGetSymlinkEscape: a symbolic link inside --out that leads
// outside it is not written through, and nothing is written at all.
func TestRegistryGetSymlinkEscape(t *testing.T) {
	t.Setenv(envRegistryURL, startRegistry(t))
	mustRun(t, registryModule(t, "int64"), exitOK, "push")
	work, outside := t.TempDir(), t.TempDir()
	out := filepath.Join(work, "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(out, "proto")); err != nil {
		t.Fatal(err)
	}
	checkRun(t, work, []string{"registry", "get", "acme/commerce", "--out", out, "--force"}, exitError, []string{
		"cannot write proto/acme/billing/v1/invoice.proto", "does a symbolic link lead out of the directory?", "nothing was written"}, nil)
	if tree := readTree(t, outside); len(tree) != 0 {
		t.Errorf("get wrote outside --out: %v", tree)
	}
	if _, err := os.Stat(filepath.Join(out, "pbregistry.yaml")); !os.IsNotExist(err) {
		t.Errorf("a refused get wrote pbregistry.yaml: %v", err)
	}
	// A symbolic link where a file goes is not written through either,
	// even one that stays inside --out.
	if err := os.Remove(filepath.Join(out, "proto")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("elsewhere.yaml", filepath.Join(out, "pbregistry.yaml")); err != nil {
		t.Fatal(err)
	}
	checkRun(t, work, []string{"registry", "get", "acme/commerce", "--out", out, "--force"}, exitError, []string{
		"pbregistry.yaml is a symbolic link: refusing to write through it; remove it or choose another --out"}, nil)
}

// craftedRegistry is a fault injector: a real Connect handler whose
// GetModule and GetDescriptorSet return what the test sets, as a
// compromised or buggy registry might.
type craftedRegistry struct {
	pbregistryv1connect.UnimplementedRegistryServiceHandler
	files []*v1.File
	fds   []byte
}

func (c *craftedRegistry) GetModule(context.Context, *connect.Request[v1.GetModuleRequest]) (*connect.Response[v1.GetModuleResponse], error) {
	return connect.NewResponse(&v1.GetModuleResponse{
		Module:  &v1.Module{Name: "acme/evil", LatestVersion: 1},
		Version: &v1.Version{Module: "acme/evil", Number: 1, Digest: "sha256:00"},
		Files:   c.files,
	}), nil
}

func (c *craftedRegistry) GetDescriptorSet(context.Context, *connect.Request[v1.GetDescriptorSetRequest]) (*connect.Response[v1.GetDescriptorSetResponse], error) {
	return connect.NewResponse(&v1.GetDescriptorSetResponse{
		Version:           &v1.Version{Module: "acme/evil", Number: 1},
		FileDescriptorSet: c.fds,
	}), nil
}

// TestRegistryGetRefusesCraftedPaths: a registry response naming a file
// outside --out, or a file a module cannot hold, is refused whole — with
// the path named — and nothing is written, inside or outside --out.
func TestRegistryGetRefusesCraftedPaths(t *testing.T) {
	crafted := &craftedRegistry{}
	mux := http.NewServeMux()
	mux.Handle(pbregistryv1connect.NewRegistryServiceHandler(crafted))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Setenv(envRegistryURL, srv.URL)
	work := t.TempDir()
	good := &v1.File{Path: "acme/ok.proto", Content: []byte("syntax = \"proto3\";\n")}
	abs := filepath.ToSlash(filepath.Join(work, "abs.proto"))
	tests := []struct {
		name string
		path string
		want string
	}{
		{"parent", "../x.proto", `file "../x.proto": the path leads out of the directory`},
		{"deeper parent", "../../x.proto", "the path leads out of the directory"},
		{"parent inside", "acme/../../x.proto", "the path leads out of the directory"},
		{"absolute", abs, "the path is absolute"},
		{"not clean", "acme/./x.proto", "the path is not clean and relative"},
		{"backslash", `..\x.proto`, `the path holds '\'`},
		{"empty", "", "the path is empty"},
		{"NUL", "x\x00.proto", "not valid UTF-8 or holds a NUL byte"},
		{"not a module file", ".git/hooks/pre-commit", "it is neither a .proto file nor pbregistry.yaml, buf.yaml or buf.work.yaml"},
		{"twice", "acme/ok.proto", `the registry sent file "acme/ok.proto" twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			crafted.files = []*v1.File{good, {Path: tt.path, Content: []byte("// pwned\n")}}
			out := filepath.Join(work, "out")
			checkRun(t, work, []string{"registry", "get", "acme/evil", "--out", out}, exitError, []string{
				"get acme/evil@v1 from " + srv.URL + ": ", tt.want, "refusing it, nothing was written"}, nil)
			if tree := readTree(t, work); len(tree) != 0 {
				t.Errorf("a refused get wrote %v", tree)
			}
		})
	}

	t.Run("file and directory", func(t *testing.T) {
		crafted.files = []*v1.File{{Path: "a/buf.yaml", Content: []byte("version: v1\n")}, {Path: "a/buf.yaml/x.proto"}}
		checkRun(t, work, []string{"registry", "get", "acme/evil", "--out", filepath.Join(work, "out")}, exitError, []string{
			`the registry sent "a/buf.yaml" both as a file and as the directory of "a/buf.yaml/x.proto"`}, nil)
	})
	t.Run("descriptor set that does not decode", func(t *testing.T) {
		crafted.files = []*v1.File{good}
		crafted.fds = []byte("not a descriptor set")
		checkRun(t, work, []string{"registry", "get", "acme/evil", "--out", filepath.Join(work, "out"), "--image", filepath.Join(work, "x.binpb")}, exitError, []string{
			"the descriptor set does not decode", "nothing was written"}, nil)
	})
	if tree := readTree(t, work); len(tree) != 0 {
		t.Errorf("a refused get wrote %v", tree)
	}
	if _, err := os.Stat(filepath.Join(work, "out")); !os.IsNotExist(err) {
		t.Errorf("a refused get created --out: %v", err)
	}
}
