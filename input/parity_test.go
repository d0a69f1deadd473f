package input

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/image"
)

// TestParityWithBuf compares our images with buf's for the same inputs,
// and checks that buf reads our encoding as an image equal to its own. It
// runs when PBREGISTRY_BUF names the buf binary (scripts/test sets it).
func TestParityWithBuf(t *testing.T) {
	buf := os.Getenv("PBREGISTRY_BUF")
	if buf == "" {
		t.Skip("PBREGISTRY_BUF not set")
	}
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"plain/acme/v1/a.proto":    aProto,
		"plain/acme/v1/b.proto":    bProto,
		"plain/acme/v2/c.proto":    cProto,
		"v2/buf.yaml":              "version: v2\nmodules:\n  - path: proto\n    excludes: [proto/tmp]\n",
		"v2/proto/acme/v1/a.proto": aProto,
		"v2/proto/acme/v1/b.proto": bProto,
		"v2/proto/tmp/c.proto":     cProto,
		"ws/buf.work.yaml":         "version: v1\ndirectories: [a, b]\n",
		"ws/a/acme/v1/a.proto":     aProto,
		"ws/b/acme/v1/b.proto":     bProto,
	})
	tests := []struct {
		name, ref string
		paths     []string
		excludes  []string
	}{
		{"plain", "plain", nil, nil},
		{"plain --path", "plain", []string{"plain/acme/v1/a.proto"}, nil},
		{"plain --exclude-path", "plain", nil, []string{"plain/acme/v2"}},
		{"v2 excludes", "v2", nil, nil},
		{"workspace", "ws", nil, nil},
		{"single file", "v2/proto/acme/v1/a.proto", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := Load(context.Background(), tt.ref, Options{Dir: root, Paths: tt.paths, ExcludePaths: tt.excludes})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			bufOut := filepath.Join(dir, "buf.binpb")
			args := []string{"build", tt.ref, "-o", bufOut}
			for _, p := range tt.paths {
				args = append(args, "--path", p)
			}
			for _, p := range tt.excludes {
				args = append(args, "--exclude-path", p)
			}
			runBuf(t, root, buf, args...)
			theirs, err := image.Decode(mustReadFile(t, bufOut))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := flags(in.Image), flags(theirs); !reflect.DeepEqual(got, want) {
				t.Errorf("files and import flags:\n ours %v\n buf  %v", got, want)
			}
			// buf reads our encoding, and finds nothing different from
			// its own image.
			data, err := in.Image.Encode()
			if err != nil {
				t.Fatal(err)
			}
			ours := filepath.Join(dir, "ours.binpb")
			if err := os.WriteFile(ours, data, 0o644); err != nil {
				t.Fatal(err)
			}
			runBuf(t, root, buf, "breaking", ours, "--against", bufOut, "--config", `{"version":"v2","breaking":{"use":["FILE","WIRE_JSON"]}}`)
			runBuf(t, root, buf, "breaking", bufOut, "--against", ours, "--config", `{"version":"v2","breaking":{"use":["FILE","WIRE_JSON"]}}`)
		})
	}
}

func runBuf(t *testing.T, dir, buf string, args ...string) {
	t.Helper()
	cmd := exec.Command(buf, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BUF_CACHE_DIR="+filepath.Join(dir, ".bufcache"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("buf %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func mustReadFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// flags returns "path" or "path (import)" for each file, sorted.
func flags(img *image.Image) []string {
	var out []string
	for _, f := range img.Files() {
		s := f.Path()
		if f.IsImport {
			s += " (import)"
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}
