package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/pbregistry/pbregistry/registry"
	"github.com/pbregistry/pbregistry/registry/sqlite"
)

// A push as registryd commits it: check against the latest version, commit
// with that version as the baseline, and check again if another push got
// there first.
func Example() {
	dir, err := os.MkdirTemp("", "pbregistry")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	store, err := sqlite.Dir(ctx, dir, sqlite.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	files := []registry.File{{Path: "acme/v1/order.proto", Content: []byte("syntax = \"proto3\";\npackage acme.v1;\nmessage Order { string id = 1; }\n")}}
	config := []byte("version: v1\n")
	digest, err := registry.Digest(files, config)
	if err != nil {
		log.Fatal(err)
	}
	for {
		var base int64
		if m, err := store.GetModule(ctx, "acme/commerce"); err == nil {
			base = m.LatestVersion
		} else if !errors.Is(err, registry.ErrNotFound) {
			log.Fatal(err)
		}
		// … compile, and check compatibility against version base …
		v, created, err := store.CommitPush(ctx, registry.PushCommit{
			Module: "acme/commerce", BaseVersion: base, Digest: digest,
			Files: files, Config: config, DescriptorSet: []byte{ /* the compiled image */ },
			Principal: "ci@acme.example",
			Subjects: []registry.SubjectSpec{{Name: "acme.v1.Order", Kind: registry.KindPBTable, PrimaryKey: []string{"id"},
				Compatibility: registry.Compatibility{Level: registry.LevelBackwardTransitive}}},
			Ledger: []registry.LedgerEntry{{Subject: "acme.v1.Order", Scope: "acme.v1.Order",
				Kind: registry.LedgerFieldNumber, Key: "1", Meaning: "string id"}},
		})
		if errors.Is(err, registry.ErrStaleBaseline) {
			continue // another push was accepted meanwhile: check again
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(v.Module, v.Number, created)
		break
	}
	// Output: acme/commerce 1 true
}
