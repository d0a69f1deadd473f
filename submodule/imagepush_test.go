package submodule_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/submodule"
)

// TestPublishImagePush: a module pushed as an Edition 2024 image with its
// sources is published like a source push: the stack's tree holds the
// sources at their import paths, byte for byte; the imports
// (google/protobuf/cpp_features.proto) are not published. A module
// pushed as an image without sources is published as that image, at
// images/<module>.binpb, byte for byte what the registry stores.
func TestPublishImagePush(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, true)
	dir := filepath.Join("..", "testdata", "editions", "2024", "before")
	zipped, err := os.ReadFile(filepath.Join(dir, "..", "before.binpb.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	img, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string][]byte{}
	files := []registry.File{{Path: "pbregistry.yaml", Content: []byte("version: v1\nmodule: acme/editions\n")}}
	for _, p := range []string{"acme/billing/v1/invoice.proto", "acme/options/v1/options.proto"} {
		data, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		sources[p] = data
		files = append(files, registry.File{Path: "proto/" + p, Content: data})
	}
	if _, _, _, err := e.svc.Push(ctx, registry.PushRequest{Principal: "ci", Image: img, Files: files}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := e.svc.Push(ctx, registry.PushRequest{Principal: "ci", Module: "acme/bare", Image: img}); err != nil {
		t.Fatal(err)
	}
	e.publish(2)
	repo := submodule.RepoPath(e.cfg.Dir, "go")
	got := strings.Join(lines(e.git(t.TempDir(), "--git-dir", repo, "ls-tree", "-r", "--name-only", "main")), " ")
	if want := "README.md acme/billing/v1/invoice.proto acme/options/v1/options.proto buf.gen.yaml images/acme/bare.binpb pbregistry.lock"; got != want {
		t.Errorf("files = %q, want %q", got, want)
	}
	for p, want := range sources {
		if got := e.git(t.TempDir(), "--git-dir", repo, "show", "main:"+p); got != string(want) {
			t.Errorf("%s differs from the pushed source:\n%s", p, got)
		}
	}
	if lock := e.git(t.TempDir(), "--git-dir", repo, "show", "main:pbregistry.lock"); !strings.Contains(lock, "acme/bare") {
		t.Errorf("the lock does not name acme/bare, pushed without sources:\n%s", lock)
	}
	stored, err := e.store.GetDescriptorSet(ctx, "acme/bare", registry.LatestVersion)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.git(t.TempDir(), "--git-dir", repo, "show", "main:"+submodule.ImagePath("acme/bare")); got != string(stored) {
		t.Errorf("%s is not the stored descriptor set (%d bytes, want %d)", submodule.ImagePath("acme/bare"), len(got), len(stored))
	}
}
