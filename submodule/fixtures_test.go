package submodule_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/submodule"
)

// TestPublishFixtures: a module version's fixtures are published with its
// protos at testdata/<module>/<subject>/<name> (under the stack's prefix),
// with their pushed bytes; a stack whose packages do not hold the subject
// does not get them.
func TestPublishFixtures(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, true)
	const fixture = `{"id": "ord-1"}` + "\n"
	_, _, _, err := e.svc.Push(ctx, registry.PushRequest{Principal: "ci", Files: []registry.File{
		{Path: "pbregistry.yaml", Content: []byte("version: v1\nmodule: acme/orders\nsubjects:\n  - message: acme.orders.v1.Order\n    kind: pbtable\n    primary_key: [id]\n")},
		{Path: "acme/orders/v1/order.proto", Content: []byte("syntax = \"proto3\";\npackage acme.orders.v1;\nmessage Order { string id = 1; }\n")},
		{Path: "acme/notes/v1/note.proto", Content: []byte("syntax = \"proto3\";\npackage acme.notes.v1;\nmessage Note { string text = 1; }\n")},
		{Path: "testdata/acme.orders.v1.Order/one.json", Content: []byte(fixture)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stack submodule.Stack
		want  string
	}{
		{"stack with the subject", submodule.Stack{Name: "py", Packages: []string{"acme.orders.**"}, Prefix: "proto"},
			"README.md pbregistry.lock proto/acme/orders/v1/order.proto proto/testdata/acme/orders/acme.orders.v1.Order/one.json"},
		{"stack without it", submodule.Stack{Name: "ts", Packages: []string{"acme.notes.**"}},
			"README.md acme/notes/v1/note.proto pbregistry.lock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := e.cfg
			cfg.Repos = []submodule.Stack{tt.stack}
			p, err := submodule.NewPublisher(ctx, e.store, cfg, submodule.PublisherOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.PublishPending(ctx, tt.stack.Name); err != nil {
				t.Fatal(err)
			}
			repo := submodule.RepoPath(cfg.Dir, tt.stack.Name)
			files := strings.Join(lines(e.git(t.TempDir(), "--git-dir", repo, "ls-tree", "-r", "--name-only", "main")), " ")
			if files != tt.want {
				t.Errorf("files = %q, want %q", files, tt.want)
			}
			if !strings.Contains(tt.want, "testdata/") {
				return
			}
			p0 := submodule.FixturePath("acme/orders", "testdata/acme.orders.v1.Order/one.json")
			if tt.stack.Prefix != "" {
				p0 = tt.stack.Prefix + "/" + p0
			}
			if got := e.git(t.TempDir(), "--git-dir", repo, "show", "main:"+p0); got != fixture {
				t.Errorf("published fixture = %q, want %q", got, fixture)
			}
		})
	}
}
