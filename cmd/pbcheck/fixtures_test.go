package main

import (
	"path/filepath"
	"testing"
)

// TestPushSendsFixtures: pbcheck push sends the module's fixtures
// (testdata/<subject>/<name>.json|.binpb) with its .proto files, and no
// other file under testdata/: the registry accepts a good fixture, and a
// bad one refuses the push naming the file, which only a sent fixture can.
func TestPushSendsFixtures(t *testing.T) {
	tests := []struct {
		name     string
		fixture  string
		wantCode int
		want     []string
	}{
		{"good fixture", `{"id":"inv-1","amount":"12"}`, exitOK, []string{"version 1 created"}},
		{"bad fixture", `{"id":"inv-1","amount":"twelve"}`, exitError, []string{"fixture testdata/acme.billing.v1.Invoice/one.json does not parse as acme.billing.v1.Invoice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envRegistryURL, startRegistry(t))
			dir := registryModule(t, "int64")
			writeTree(t, dir, map[string]string{
				"testdata/acme.billing.v1.Invoice/one.json": tt.fixture,
				"testdata/acme.billing.v1.Invoice/notes.md": "not a fixture, not sent",
				"testdata/README.md":                        "not sent",
			})
			checkRun(t, dir, []string{"push"}, tt.wantCode, tt.want, []string{"neither a .proto file"})
			if tt.wantCode != exitOK {
				return
			}
			// registry get writes the fixture back where it was.
			out := filepath.Join(t.TempDir(), "out")
			mustRun(t, dir, exitOK, "registry", "get", "acme/commerce", "--out", out)
			tree := readTree(t, out)
			if tree["testdata/acme.billing.v1.Invoice/one.json"] != tt.fixture || tree["testdata/README.md"] != "" {
				t.Errorf("registry get wrote %v", tree)
			}
		})
	}
}
