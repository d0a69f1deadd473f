package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/pbregistry/pbregistry/registry"
)

// OrderSubject is the subject Push declares.
const OrderSubject = "acme.v1.Order"

// Push returns a valid PushCommit of module against base, whose content is
// determined by seed: pushes with the same module and seed have the same
// digest, pushes with different seeds different digests. It declares the
// pbtable OrderSubject and ledger entries that never conflict between
// seeds: a shared field 1 and a field name unique to the seed.
func Push(module string, base int64, seed string) registry.PushCommit {
	files := []registry.File{
		{Path: "acme/v1/order.proto", Content: []byte(fmt.Sprintf(
			"syntax = \"proto3\";\npackage acme.v1;\nimport \"acme/v1/common.proto\";\nmessage Order {\n  string id = 1;\n  Money f_%s = 2;\n}\n", seed))},
		{Path: "acme/v1/common.proto", Content: []byte("syntax = \"proto3\";\npackage acme.v1;\nmessage Money {\n  int64 units = 1;\n}\n")},
	}
	config := []byte("version: v1\nmodule: " + module + "\n")
	c := registry.PushCommit{
		Module:        module,
		BaseVersion:   base,
		Files:         files,
		DescriptorSet: []byte("descriptor set of " + seed),
		Config:        config,
		Principal:     "ci@acme.example",
		Build: registry.BuildInfo{
			Commit: "commit-" + seed,
			Branch: "main",
			CIURL:  "https://ci.acme.example/" + seed,
			Labels: map[string]string{"seed": seed},
		},
		Subjects: []registry.SubjectSpec{{
			Name:          OrderSubject,
			Kind:          registry.KindPBTable,
			PrimaryKey:    []string{"id"},
			Compatibility: registry.Compatibility{Level: registry.LevelBackward, Use: []string{"WIRE_JSON"}},
		}},
		Ledger: []registry.LedgerEntry{
			{Subject: OrderSubject, Scope: OrderSubject, Kind: registry.LedgerFieldNumber, Key: "1", Meaning: "string id"},
			{Subject: OrderSubject, Scope: OrderSubject, Kind: registry.LedgerFieldName, Key: "id", Meaning: "1 string"},
			{Subject: OrderSubject, Scope: OrderSubject, Kind: registry.LedgerFieldName, Key: "f_" + seed, Meaning: "2 acme.v1.Money"},
			{Subject: OrderSubject, Scope: "acme.v1.Money", Kind: registry.LedgerFieldNumber, Key: "1", Meaning: "int64 units"},
		},
	}
	Redigest(&c)
	return c
}

// Redigest sets c.Digest to the digest of its files and config. If they
// have none (invalid paths), it leaves c.Digest as it is: CommitPush must
// refuse the files anyway.
func Redigest(c *registry.PushCommit) {
	if d, err := registry.Digest(c.Files, c.Config); err == nil {
		c.Digest = d
	}
}

// latest returns module's latest version number, 0 if the module does not
// exist.
func latest(ctx context.Context, s registry.Store, module string) (int64, error) {
	m, err := s.GetModule(ctx, module)
	if errors.Is(err, registry.ErrNotFound) {
		return 0, nil
	}
	return m.LatestVersion, err
}

// PushRetrying commits the push of seed to module against its latest
// version, re-reading the latest and retrying while the baseline is stale,
// as registryd does after re-running its check.
func PushRetrying(ctx context.Context, s registry.Store, module, seed string) (registry.Version, bool, error) {
	for attempt := 0; ; attempt++ {
		base, err := latest(ctx, s, module)
		if err != nil {
			return registry.Version{}, false, err
		}
		v, created, err := s.CommitPush(ctx, Push(module, base, seed))
		if errors.Is(err, registry.ErrStaleBaseline) && attempt < 10000 {
			continue
		}
		return v, created, err
	}
}

// mustPush commits the push of seed to module against its latest version,
// failing t on error.
func mustPush(t *testing.T, s registry.Store, module, seed string) registry.Version {
	t.Helper()
	v, _, err := PushRetrying(ctx(t), s, module, seed)
	if err != nil {
		t.Fatalf("push %s %s: %v", module, seed, err)
	}
	return v
}

// must fails t if err is not nil.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr fails t unless err matches target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}
