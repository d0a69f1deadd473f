package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDbt runs pbcheck dbt on the dbt test module for every dialect: the
// files written are the golden files of lakehouse/dbt, and a second run
// replaces the project in place.
func TestDbt(t *testing.T) {
	shop, err := filepath.Abs(filepath.Join("..", "..", "lakehouse", "dbt", "testdata", "shop"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"postgres", "duckdb", "bigquery", "snowflake"} {
		t.Run(d, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "project")
			for run := 0; run < 2; run++ {
				code, stdout, stderr := pbcheck(t, shop, nil, "dbt", "v2", "--history", "v1", "--dialect", d, "--out", out, "--module-version", "2")
				if code != exitOK || !strings.Contains(stdout, "wrote 5 files") {
					t.Fatalf("run %d: exit %d, stdout %q, stderr %q", run, code, stdout, stderr)
				}
				// A model of a subject since removed: the next run drops it.
				stale := filepath.Join(out, "models", "staging", "acme_shop", "stg_acme_shop__gones.sql")
				if run == 0 {
					if err := os.WriteFile(stale, []byte("select 1"), 0o644); err != nil {
						t.Fatal(err)
					}
				} else if _, err := os.Stat(stale); !os.IsNotExist(err) {
					t.Errorf("the stale model survived the second run: %v", err)
				}
			}
			golden := filepath.Join(shop, "..", "golden", d)
			n := 0
			err := filepath.WalkDir(out, func(p string, e os.DirEntry, err error) error {
				if err != nil || e.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(out, p)
				got, _ := os.ReadFile(p)
				want, err := os.ReadFile(filepath.Join(golden, rel))
				if err != nil || string(got) != string(want) {
					t.Errorf("%s differs from lakehouse/dbt/testdata/golden/%s/%s (%v)", rel, d, rel, err)
				}
				n++
				return nil
			})
			if err != nil || n != 5 {
				t.Errorf("walked %d files (%v), want 5", n, err)
			}
		})
	}
}

// TestDbtErrors: mistakes get exit 1, a message saying what to do, and no
// files written.
func TestDbtErrors(t *testing.T) {
	shop, err := filepath.Abs(filepath.Join("..", "..", "lakehouse", "dbt", "testdata", "shop"))
	if err != nil {
		t.Fatal(err)
	}
	occupied := t.TempDir()
	if err := os.WriteFile(filepath.Join(occupied, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	bare := t.TempDir()
	writeTree(t, bare, map[string]string{
		"pbregistry.yaml":         "version: v1\nmodule: acme/shop\n",
		"acme/shop/v1/paid.proto": "syntax = \"proto3\";\npackage acme.shop.v1;\nmessage Paid { string id = 1; }\n",
	})
	lh := t.TempDir()
	writeTree(t, lh, map[string]string{
		"pbregistry.yaml":         "version: v1\nmodule: acme/shop\nsubjects:\n  - {message: acme.shop.v1.Paid, kind: event}\nlakehouse:\n  tables:\n    - message: acme.shop.v1.Nope\n",
		"acme/shop/v1/paid.proto": "syntax = \"proto3\";\npackage acme.shop.v1;\nmessage Paid { string id = 1; }\n",
	})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no dialect", []string{"dbt", "v2", "--out", "x"}, "--dialect is required"},
		{"bad dialect", []string{"dbt", "v2", "--dialect", "oracle", "--out", "x"}, `unknown dialect "oracle": use bigquery, duckdb, postgres or snowflake`},
		{"no out", []string{"dbt", "v2", "--dialect", "postgres"}, "--out is required"},
		{"bad depth", []string{"dbt", "v2", "--dialect", "postgres", "--out", "x", "--nested-depth", "deep"}, `--nested-depth must be a whole number from 0 to 8, not "deep"`},
		{"occupied out", []string{"dbt", "v2", "--dialect", "postgres", "--out", occupied}, "is not empty and holds no project pbcheck dbt generated"},
		{"no subjects", []string{"dbt", bare, "--dialect", "postgres", "--out", filepath.Join(t.TempDir(), "p")}, "has no subjects"},
		{"landing of no subject", []string{"dbt", lh, "--dialect", "postgres", "--out", filepath.Join(t.TempDir(), "p")}, "pbregistry.yaml:7:16: lakehouse.tables names acme.shop.v1.Nope, which is not a subject"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := pbcheck(t, shop, nil, tt.args...)
			if code != exitError || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q, want exit 1 and %q", code, stderr, tt.want)
			}
		})
	}
	if b, err := os.ReadFile(filepath.Join(occupied, "notes.txt")); err != nil || string(b) != "mine" {
		t.Errorf("the occupied directory was touched: %q, %v", b, err)
	}
}
